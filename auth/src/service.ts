import { SignJWT } from "jose";
import { AppError } from "../../shared/errors.ts";
import type { Principal, TokenVerifier } from "../../shared/ports/tokens.ts";
import { validate } from "../../shared/validation/invalid.ts";
import type { SigningKeys } from "./keys.ts";
import { SIGNING_ALGORITHM } from "./keys.ts";
import { throttleAddress } from "./client_address.ts";
import type { PasswordHasher } from "./passwords.ts";
import {
  LoginInput,
  RefreshInput,
  RegisterInput,
  type RegistrationView,
  type TokenView,
  type UserView,
} from "./schemas.ts";
import type { AttemptThrottle } from "./throttle.ts";
import type { IssuedRefreshToken, RefreshTokenStore, UserRecord, UserStore } from "./stores.ts";

export interface AuthServiceOptions {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

export interface AuthServiceDeps {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  keys: SigningKeys;
  verifier: TokenVerifier;
  passwords: PasswordHasher;
  /** Failed logins, per client address and per account. */
  loginThrottle: AttemptThrottle;
  /** Registrations, per client address. */
  registerThrottle: AttemptThrottle;
}

/** Who is calling, as far as the transport can tell (see ClientAddresses). */
export interface ClientInfo {
  ip: string;
}

export function userView(u: UserRecord): UserView {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    createdAt: u.createdAt.toISOString(),
  };
}

/** One message for every refresh failure, so a caller learns nothing about why. */
const BAD_REFRESH = "invalid or expired refresh token";

function addressKey(client: ClientInfo): string {
  return `ip:${throttleAddress(client.ip)}`;
}

/** Counts an attempt on `keys` before `work`, taken back when `work` could not be done at all. */
async function attempt<T>(
  throttle: AttemptThrottle,
  keys: string[],
  work: () => Promise<T>,
): Promise<T> {
  throttle.reserve(keys);
  try {
    return await work();
  } catch (err) {
    // Refused for capacity, or the database is down: nothing was tried, so nothing is spent.
    if (err instanceof AppError && (err.code === "RATE_LIMITED" || err.code === "UNAVAILABLE")) {
      throttle.release(keys);
    }
    throw err;
  }
}

/** The identity use cases; HTTP and gRPC are thin adapters over this. */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps, private readonly opts: AuthServiceOptions) {}

  /**
   * Creates an account. A taken email answers exactly as a new one does (same body, same work), so
   * registration does not tell who has an account here.
   */
  async register(raw: unknown, client: ClientInfo): Promise<RegistrationView> {
    const input = validate(RegisterInput, raw);
    const displayName = input.displayName ?? input.email.split("@")[0];
    await attempt(this.deps.registerThrottle, [addressKey(client)], async () => {
      const hash = await this.deps.passwords.hash(input.password);
      await this.deps.users.create(input.email, displayName, hash).catch((err) => {
        if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
      });
    });
    return { email: input.email, displayName };
  }

  async login(raw: unknown, client: ClientInfo): Promise<TokenView> {
    const input = validate(LoginInput, raw);
    const [ip, account] = [addressKey(client), `account:${input.email}`];
    const user = await attempt(this.deps.loginThrottle, [ip, account], async () => {
      const user = await this.deps.users.byEmail(input.email);
      const verdict = await this.deps.passwords.verify(input.password, user?.passwordHash);
      if (!user || !verdict.ok) throw new AppError("UNAUTHENTICATED", "invalid email or password");
      if (verdict.rehashed) {
        await this.deps.users.replacePasswordHash(user.id, user.passwordHash, verdict.rehashed);
      }
      return user;
    });
    // A success is not a failure: it gives its attempt back and clears the account's count.
    this.deps.loginThrottle.release([ip]);
    this.deps.loginThrottle.forget(account);
    return this.tokens(user, await this.deps.refreshTokens.issue(user.id));
  }

  /** Spends a refresh token for a new pair; a replayed one revokes its family. */
  async refresh(raw: unknown): Promise<TokenView> {
    const { refreshToken } = validate(RefreshInput, raw);
    const outcome = await this.deps.refreshTokens.rotate(refreshToken);
    if (outcome.kind !== "rotated") throw new AppError("UNAUTHENTICATED", BAD_REFRESH);
    const user = await this.deps.users.byId(outcome.userId);
    if (!user) throw new AppError("UNAUTHENTICATED", BAD_REFRESH);
    return this.tokens(user, outcome.next);
  }

  /** Logout: revokes the token's family. Unknown tokens are not an error (RFC 7009). */
  async revoke(raw: unknown): Promise<void> {
    const { refreshToken } = validate(RefreshInput, raw);
    await this.deps.refreshTokens.revokeFamily(refreshToken);
  }

  async validateToken(token: unknown): Promise<Principal> {
    if (typeof token !== "string" || token.length === 0) {
      throw new AppError("INVALID", "token is required");
    }
    return await this.deps.verifier.verify(token);
  }

  /** The account behind an access token; a token for a deleted account is no longer valid. */
  async me(token: string | undefined): Promise<UserView> {
    if (!token) throw new AppError("UNAUTHENTICATED", "missing bearer token");
    const { userId } = await this.deps.verifier.verify(token);
    const user = await this.deps.users.byId(userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "invalid or expired token");
    return userView(user);
  }

  private async tokens(user: UserRecord, refresh: IssuedRefreshToken): Promise<TokenView> {
    return {
      accessToken: await this.issueAccessToken(user.id),
      tokenType: "Bearer",
      expiresIn: this.opts.accessTokenTtlSeconds,
      refreshToken: refresh.token,
      refreshExpiresIn: Math.max(0, Math.floor((refresh.expiresAt.getTime() - Date.now()) / 1000)),
      user: userView(user),
    };
  }

  private issueAccessToken(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: this.deps.keys.kid, typ: "JWT" })
      .setSubject(userId)
      .setIssuer(this.opts.issuer)
      .setAudience(this.opts.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.opts.accessTokenTtlSeconds}s`)
      .setJti(crypto.randomUUID())
      .sign(this.deps.keys.privateKey);
  }
}

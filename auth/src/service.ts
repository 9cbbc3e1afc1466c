import { SignJWT } from "jose";
import { AppError } from "../../shared/errors.ts";
import type { Principal, TokenVerifier } from "../../shared/ports/tokens.ts";
import { validate } from "../../shared/validation/invalid.ts";
import type { SigningKeys } from "./keys.ts";
import { SIGNING_ALGORITHM } from "./keys.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./passwords.ts";
import type { IssuedRefreshToken, RefreshTokenStore } from "./refresh_tokens.ts";
import {
  LoginInput,
  RefreshInput,
  RegisterInput,
  type TokenView,
  type UserView,
} from "./schemas.ts";
import type { FailureThrottle } from "./throttle.ts";
import type { UserRecord, UserStore } from "./users.ts";

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
  throttle: FailureThrottle;
}

/** Who is calling, as far as the transport can tell: the key for per-IP throttling. */
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

function throttleKeys(client: ClientInfo, email: string): string[] {
  return [`ip:${client.ip}`, `account:${email}`];
}

/** The identity use cases; HTTP and gRPC are thin adapters over this. */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps, private readonly opts: AuthServiceOptions) {}

  async register(raw: unknown, client: ClientInfo): Promise<UserView> {
    const input = validate(RegisterInput, raw);
    const keys = throttleKeys(client, input.email);
    this.deps.throttle.check(keys);
    const displayName = input.displayName ?? input.email.split("@")[0];
    try {
      return userView(
        await this.deps.users.create(input.email, displayName, await hashPassword(input.password)),
      );
    } catch (err) {
      // Probing which emails exist through registration counts as a failure too.
      if (err instanceof AppError && err.code === "CONFLICT") this.deps.throttle.fail(keys);
      throw err;
    }
  }

  async login(raw: unknown, client: ClientInfo): Promise<TokenView> {
    const input = validate(LoginInput, raw);
    const keys = throttleKeys(client, input.email);
    this.deps.throttle.check(keys);
    const user = await this.deps.users.byEmail(input.email);
    // Always run the KDF, so an unknown email takes as long as a wrong password.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      this.deps.throttle.fail(keys);
      throw new AppError("UNAUTHENTICATED", "invalid email or password");
    }
    this.deps.throttle.forget(keys[1]);
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

import { SignJWT } from "jose";
import type { z } from "zod";
import { AppError } from "../../shared/errors.ts";
import type { Principal, TokenVerifier } from "../../shared/ports/tokens.ts";
import type { SigningKeys } from "./keys.ts";
import { SIGNING_ALGORITHM } from "./keys.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./passwords.ts";
import { LoginInput, RegisterInput, type TokenView, type UserView } from "./schemas.ts";
import type { UserRecord, UserStore } from "./users.ts";

export interface AuthServiceOptions {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

/** Validates raw input with a schema, turning the first issue into an INVALID AppError. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  throw new AppError("INVALID", `${where}${issue.message}`);
}

export function userView(u: UserRecord): UserView {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    createdAt: u.createdAt.toISOString(),
  };
}

/** The identity use cases; HTTP and gRPC are thin adapters over this. */
export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly keys: SigningKeys,
    private readonly verifier: TokenVerifier,
    private readonly opts: AuthServiceOptions,
  ) {}

  async register(raw: unknown): Promise<UserView> {
    const input = validate(RegisterInput, raw);
    const displayName = input.displayName ?? input.email.split("@")[0];
    const user = await this.users.create(
      input.email,
      displayName,
      await hashPassword(input.password),
    );
    return userView(user);
  }

  async login(raw: unknown): Promise<TokenView> {
    const input = validate(LoginInput, raw);
    const user = await this.users.byEmail(input.email);
    // Always run the KDF, so an unknown email takes as long as a wrong password.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new AppError("UNAUTHENTICATED", "invalid email or password");
    return {
      accessToken: await this.issueAccessToken(user.id),
      tokenType: "Bearer",
      expiresIn: this.opts.accessTokenTtlSeconds,
      user: userView(user),
    };
  }

  async validateToken(token: unknown): Promise<Principal> {
    if (typeof token !== "string" || token.length === 0) {
      throw new AppError("INVALID", "token is required");
    }
    return await this.verifier.verify(token);
  }

  private issueAccessToken(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: this.keys.kid, typ: "JWT" })
      .setSubject(userId)
      .setIssuer(this.opts.issuer)
      .setAudience(this.opts.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.opts.accessTokenTtlSeconds}s`)
      .setJti(crypto.randomUUID())
      .sign(this.keys.privateKey);
  }
}

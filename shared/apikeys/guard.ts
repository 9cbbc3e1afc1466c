import { AppError } from "../errors.ts";
import { apiKeyFromHeader, type ApiKeyScope } from "./api_key.ts";

/** Where the guard looks a key up (PgApiKeys in the services). */
export interface ApiKeyLookup {
  scopesOf(key: string): Promise<ApiKeyScope[] | undefined>;
}

/**
 * The server API's door: a request passes with a live key that holds the scope. A missing,
 * wrong or revoked key reads the same (401), so a caller learns nothing about which keys exist.
 */
export class ApiKeyGuard {
  constructor(private readonly keys: ApiKeyLookup) {}

  async require(authorization: string | null | undefined, scope: ApiKeyScope): Promise<void> {
    const key = apiKeyFromHeader(authorization);
    const scopes = key === undefined ? undefined : await this.keys.scopesOf(key);
    if (!scopes) throw new AppError("UNAUTHENTICATED", "missing, unknown or revoked API key");
    if (!scopes.includes(scope)) {
      throw new AppError("FORBIDDEN", `this API key lacks the ${scope} scope`);
    }
  }
}

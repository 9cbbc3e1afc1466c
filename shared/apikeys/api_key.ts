import { z } from "zod";

/** What a key may do: publish messages, read channels and presence, moderate users and members. */
export const API_KEY_SCOPES = ["publish", "read", "moderate"] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** A key as listed: never the key itself, which only its creator saw once. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  revokedAt?: string;
}

const PREFIX = "rtm_";

/** 256 random bits: guessing one is hopeless, so a fast hash stores it safely. */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export async function hashApiKey(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
}

/** The key of an `Authorization: ApiKey <key>` header, if that is what it is. */
export function apiKeyFromHeader(header: string | null | undefined): string | undefined {
  return header?.match(/^ApiKey\s+(\S+)$/i)?.[1];
}

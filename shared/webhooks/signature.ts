/**
 * Standard Webhooks signatures (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256
 * of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the base64 after `whsec_`. Senders
 * and receivers (the tests, the README's example) use the same two functions.
 */
import { z } from "zod";

const encoder = new TextEncoder();
const SECRET_PREFIX = "whsec_";

/** A secret in its configured form: `whsec_` and the base64 of 24 to 64 random bytes. */
export const WebhookSecret = z.string().regex(
  /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/,
  "expected whsec_<base64>",
);

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The secret's key bytes; throws on a value that is not `whsec_<base64>`. */
export function webhookKey(secret: string): Uint8Array {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a webhook secret starts with whsec_");
  return Uint8Array.from(atob(secret.slice(SECRET_PREFIX.length)), (c) => c.charCodeAt(0));
}

async function hmac(key: Uint8Array, content: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(content)));
  return btoa(String.fromCharCode(...mac));
}

export async function signWebhook(
  key: Uint8Array,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<SignedHeaders> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${await hmac(key, `${id}.${timestampSeconds}.${body}`)}`,
  };
}

/**
 * A receiver's check: one of the space-separated `v1,` signatures matches, and the timestamp is
 * within `toleranceSeconds` of now (a replayed old request is refused).
 */
export async function verifyWebhook(
  key: Uint8Array,
  headers: Headers,
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = `v1,${await hmac(key, `${id}.${timestamp}.${body}`)}`;
  const given = signatures.split(" ");
  // Compared as digests so the time taken says nothing about how much of a guess was right.
  const digest = async (s: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
  const want = await digest(expected);
  for (const candidate of given) {
    const got = await digest(candidate);
    if (got.every((b, i) => b === want[i])) return true;
  }
  return false;
}

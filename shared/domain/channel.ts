import { z } from "zod";

/**
 * Channel ids are safe NATS subject tokens: no dots, no wildcards, no whitespace. `<namespace>:`
 * in front puts a channel in a namespace, whose options come from NAMESPACES_FILE.
 */
export const CHANNEL_ID_PATTERN = /^(?=.{1,64}$)(?:[A-Za-z0-9_-]+:)?[A-Za-z0-9_-]+$/;
export const CHANNEL_ID_RULE =
  "channel must match [namespace:]name, both of A-Za-z0-9_-, 64 characters in all";
export const ChannelId = z.string().regex(CHANNEL_ID_PATTERN, CHANNEL_ID_RULE);

/** The namespace of `<namespace>:<name>`; undefined for a channel without one. */
export function namespaceOf(channel: string): string | undefined {
  const colon = channel.indexOf(":");
  return colon < 0 ? undefined : channel.slice(0, colon);
}
export type ChannelId = z.infer<typeof ChannelId>;

export const CHANNEL_KINDS = ["public", "private", "direct"] as const;
export type ChannelKind = typeof CHANNEL_KINDS[number];

/**
 * Direct channels have a reserved id derived from the two users, so opening one is idempotent.
 * The prefix is reserved: no other channel can take such an id (see PgChannelAccess).
 */
export const DIRECT_CHANNEL_PREFIX = "dm-";

export async function directChannelId(a: string, b: string): Promise<string> {
  const [x, y] = [a, b].sort();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${x}:${y}`));
  const base64 = btoa(String.fromCharCode(...new Uint8Array(digest)));
  const base64url = base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${DIRECT_CHANNEL_PREFIX}${base64url}`;
}

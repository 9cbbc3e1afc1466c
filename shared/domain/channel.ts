import { z } from "zod";

/** Channel ids are safe NATS subject tokens: no dots, no wildcards, no whitespace. */
export const CHANNEL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const ChannelId = z.string().regex(
  CHANNEL_ID_PATTERN,
  "channel must match [A-Za-z0-9_-]{1,64}",
);
export type ChannelId = z.infer<typeof ChannelId>;

export const CHANNEL_KINDS = ["public", "private", "direct"] as const;
export type ChannelKind = typeof CHANNEL_KINDS[number];

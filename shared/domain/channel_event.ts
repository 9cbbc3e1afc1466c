import { z } from "zod";
import { ChannelId } from "./channel.ts";

/**
 * Something that happened in a channel, other than a message, that application backends hear of
 * (webhooks): kept in the durable event stream, in order per channel. `id` is stable over every
 * copy of the same occurrence, so the stream and receivers dedupe by it.
 */
export const ChannelEvent = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_-]{1,64}$/),
  type: z.enum(["channel.member_added", "channel.member_removed"]),
  channel: ChannelId,
  /** When it happened (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});
export type ChannelEvent = z.infer<typeof ChannelEvent>;

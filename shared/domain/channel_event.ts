import { z } from "zod";
import { ChannelId } from "./channel.ts";

/**
 * Something that happened in a channel, or to a user, other than a message, that application
 * backends hear of (webhooks): membership and presence. Kept in the durable event stream, in
 * order per channel (per user for a user's own events). `id` is stable over every copy of the
 * same occurrence, so the stream and receivers dedupe by it.
 */
export const ChannelEvent = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_-]{1,64}$/),
  type: z.enum([
    "channel.member_added",
    "channel.member_removed",
    "presence.joined",
    "presence.left",
    "user.online",
    "user.offline",
  ]),
  /** Absent for a user's own events (`user.online`, `user.offline`). */
  channel: ChannelId.optional(),
  /** When it happened (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
  /** `userId`: whom it concerns. */
  data: z.object({ userId: z.uuid() }).catchall(z.unknown()),
});
export type ChannelEvent = z.infer<typeof ChannelEvent>;

/** What orders an event (its partition, subject and dead letter): its channel, else its user. */
export function eventKey(event: ChannelEvent): string {
  return event.channel ?? event.data.userId;
}

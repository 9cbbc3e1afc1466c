import { z } from "@hono/zod-openapi";
import { AppError } from "../../../../shared/errors.ts";
import type { HistoryMessage } from "../../../../shared/domain/message.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";

/** History paging, the same for users and backends. */
const MAX_PAGE = 100;
const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const Message = z.object({
  channel: z.string(),
  seq: z.number().int(),
  id: z.uuid(),
  clientMsgId: z.string(),
  sender: z.uuid(),
  body: z.string(),
  sentAt: z.string(),
  editedAt: z.string().optional().openapi({ description: "when last edited; absent if never" }),
  deleted: z.boolean().optional().openapi({ description: "a tombstone: deleted, body empty" }),
  reactions: z.array(z.object({
    emoji: z.string(),
    count: z.number().int(),
    users: z.array(z.uuid()),
  })).optional(),
}).openapi("Message");

export const HistoryQuery = z.object({
  after: Seq.optional(),
  before: Seq.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const MessagePage = z.object({ messages: z.array(Message), lastSeq: z.number().int() })
  .openapi("MessagePage");

export const HISTORY_DESCRIPTION = "Messages (as they are now: edited text with `editedAt`, " +
  "tombstones with `deleted`, `reactions` with who gave them; edits, deletes and reactions " +
  "themselves are folded in, not listed) with after < seq < before, always oldest first, at " +
  `most \`limit\` (1–${MAX_PAGE}, default 50). With \`after\`: the oldest page after it (page ` +
  "forward with after = the last seq you got). Without `after`: the newest page before `before` " +
  "(or the newest page), to page backward with before = the first seq you got.";

/** One page of `channel`'s history; the caller has checked who may read it. */
export async function readHistory(
  store: MessageStore,
  channel: string,
  { after, before, limit }: HistoryQuery,
): Promise<{ messages: HistoryMessage[]; lastSeq: number }> {
  if (after !== undefined && before !== undefined && after >= before) {
    throw new AppError("INVALID", "after must be less than before");
  }
  const lastSeq = await store.lastSeq(channel);
  const upTo = Math.min(lastSeq, (before ?? Number.MAX_SAFE_INTEGER) - 1);
  return { messages: await store.history(channel, { after, upTo, limit }), lastSeq };
}

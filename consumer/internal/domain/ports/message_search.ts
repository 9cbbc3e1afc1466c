import type { StoredMessage } from "../../../../shared/domain/message.ts";

/** Where a page of results ended: the next page is everything strictly after it, newest first. */
export interface SearchCursor {
  /** The last result's sentAt at the store's full precision (opaque to callers). */
  at: string;
  channel: string;
  seq: number;
}

export interface SearchRequest {
  userId: string;
  /** Words as typed: web-search syntax ("quoted phrase", -excluded, or). */
  query: string;
  /** Only this channel (still only if the user is a member). */
  channel?: string;
  after?: SearchCursor;
  limit: number;
}

/** Full-text search over ordinary messages of the channels a user is a member of now. */
export interface MessageSearch {
  /** Up to `limit` matches, newest first, each with the cursor that pages on from it. */
  search(request: SearchRequest): Promise<{ message: StoredMessage; cursor: SearchCursor }[]>;
}

import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { AppError } from "../../../../shared/errors.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import { KeyedBuckets } from "../../../../shared/rate/keyed_buckets.ts";
import type { Rate } from "../../../../shared/rate/token_bucket.ts";
import type { MessageSearch, SearchCursor } from "../../domain/ports/message_search.ts";
import { callerOf } from "./caller.ts";
import { Message } from "./history.ts";

/** Longer queries are refused before they reach the database (a tsquery grows with its words). */
export const MAX_QUERY_CHARS = 200;
const MAX_PAGE = 50;
/** A cursor is ours (base64url JSON of a SearchCursor); anything longer is not. */
const MAX_CURSOR_CHARS = 512;

const Cursor = z.object({
  at: z.string().max(64),
  channel: ChannelId,
  seq: z.number().int().min(1),
});

const SearchQuery = z.object({
  query: z.string().trim().min(1).max(MAX_QUERY_CHARS).openapi({
    description: 'words to find (web-search syntax: "a phrase", -without, or)',
  }),
  channel: ChannelId.optional().openapi({ description: "only this channel" }),
  before: z.string().max(MAX_CURSOR_CHARS).optional().openapi({
    description: "the `next` of the previous page",
  }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(20),
});

const SearchPage = z.object({
  results: z.array(Message),
  next: z.string().optional().openapi({ description: "pass as `before` for older results" }),
}).openapi("SearchPage");

const searchRoute = createRoute({
  method: "get",
  path: "/v1/search",
  tags: ["messages"],
  summary: "Full-text search over the messages of the caller's channels, newest first",
  description: "Matches whole words, case-insensitively, in the channels the caller is a " +
    "member of now (public ones too only once joined or read), optionally one `channel`. " +
    `\`query\` is 1–${MAX_QUERY_CHARS} characters; \`limit\` 1–${MAX_PAGE} (default 20). ` +
    "Rate limited per user (429 with Retry-After).",
  security: [{ bearer: [] }],
  request: { query: SearchQuery },
  responses: {
    200: { description: "a page of matching messages", ...jsonContent(SearchPage) },
    ...errorResponses(400, 401, 429, 503),
  },
});

function encodeCursor(c: SearchCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify(c));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeCursor(text: string): SearchCursor {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
    return Cursor.parse(JSON.parse(json));
  } catch {
    throw new AppError("INVALID", "bad search cursor: pass the `next` of a previous page");
  }
}

/** Full-text message search for an authenticated caller, with its own per-user rate. */
export function mountSearchRoutes(
  app: OpenAPIHono,
  deps: { verifier: TokenVerifier; search: MessageSearch; rate: Rate },
): void {
  const buckets = new KeyedBuckets(deps.rate);
  app.openapi({ ...searchRoute, middleware: callerOf(deps.verifier) }, async (c) => {
    const userId = c.var.caller;
    // Before any database work: a refused search costs nothing.
    const bucket = buckets.of(userId);
    if (!bucket.take()) {
      throw new AppError("RATE_LIMITED", "too many searches", bucket.retryAfterSeconds());
    }
    const { query, channel, before, limit } = c.req.valid("query");
    const found = await deps.search.search({
      userId,
      query,
      channel,
      after: before === undefined ? undefined : decodeCursor(before),
      limit,
    });
    const last = found.at(-1);
    return c.json({
      results: found.map((f) => f.message),
      ...(found.length === limit && last ? { next: encodeCursor(last.cursor) } : {}),
    }, 200);
  });
}

import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../../../../shared/errors.ts";
import { errorResponses, jsonContent } from "../../../../../shared/http/schemas.ts";
import type { TokenVerifier } from "../../../../../shared/ports/tokens.ts";
import { authenticate } from "../authenticate.ts";
import type { SseServer } from "./server.ts";
import { type SseTickets, TICKET_TTL_MS } from "./tickets.ts";

const ticketRoute = createRoute({
  method: "post",
  path: "/v1/sse/tickets",
  tags: ["sse"],
  summary: "A single-use ticket to open one Server-Sent Events stream from a browser",
  description: "Browsers' `EventSource` cannot send an `Authorization` header, and an access " +
    "token must not go in a URL. Open `GET /v1/sse?channels=a,b&ticket=…` with this ticket " +
    `within ${TICKET_TTL_MS / 1000} s instead: it works once, on this instance, and the stream ` +
    "then lives until the access token it stands for expires. To resume after the stream ends, " +
    "get a new ticket and pass the last event id as `lastEventId` (a new `EventSource` cannot " +
    "set `Last-Event-ID`).",
  security: [{ bearer: [] }],
  responses: {
    201: {
      description: "the ticket",
      ...jsonContent(
        z.object({
          ticket: z.string(),
          expiresAt: z.number().int().openapi({ description: "epoch ms; unused after it" }),
        }).openapi("SseTicket"),
      ),
    },
    ...errorResponses(401, 429),
  },
});

const streamRoute = createRoute({
  method: "get",
  path: "/v1/sse",
  tags: ["sse"],
  summary: "Server-Sent Events: the channels' messages, as the WebSocket delivers them",
  description: "Each event's `data` is one server frame of the WebSocket protocol (`subscribed`, " +
    "`message`, `presence`, `error`). `message` and `subscribed` events carry the stream's cursor " +
    "as `id` (`channel:seq` of the event first, then the other channels'), so a reconnect with " +
    "`Last-Event-ID` (or `lastEventId`) resumes every channel after what was delivered: no gap, " +
    "no duplicate. Caller: `Authorization: Bearer <access token>`, or `ticket`. The stream ends " +
    "when the token expires (a last `error` event, code UNAUTHENTICATED), when a subscription " +
    "ends (an `error` event naming its channel), when the server drains, and without a last " +
    "event when the client falls more than the buffer limit behind.",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      channels: z.string().openapi({ description: "comma-separated channel ids", example: "a,b" }),
      ticket: z.string().optional().openapi({ description: "from POST /v1/sse/tickets" }),
      lastEventId: z.string().optional().openapi({
        description: "resume point when the Last-Event-ID header cannot be set",
      }),
    }),
  },
  responses: {
    200: {
      description: "the event stream",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export function mountSseRoutes(
  app: OpenAPIHono,
  deps: { verifier: TokenVerifier; tickets: SseTickets; sse: SseServer },
): void {
  app.openapi(ticketRoute, async (c) => {
    const principal = await authenticate(deps.verifier, c.req.header("authorization"));
    const { ticket, expiresAtMs } = deps.tickets.issue(principal);
    return c.json({ ticket, expiresAt: expiresAtMs }, 201);
  });
  app.openapi(streamRoute, async (c) => {
    const { channels, ticket, lastEventId } = c.req.valid("query");
    const authorization = c.req.header("authorization");
    if (ticket !== undefined && authorization !== undefined) {
      throw new AppError("INVALID", "either a bearer token or a ticket, not both");
    }
    const principal = ticket !== undefined
      ? deps.tickets.redeem(ticket)
      : await authenticate(deps.verifier, authorization);
    const resumeAt = c.req.header("last-event-id") || lastEventId;
    return await deps.sse.open(principal, channels, resumeAt);
  });
}

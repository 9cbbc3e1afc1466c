import { z } from "zod";

/** How often producer and consumer look for revoked sessions (logout) to close their sockets. */
export const sessionEnv = {
  SESSION_REVOCATION_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
};

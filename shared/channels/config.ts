import { z } from "zod";

/**
 * How many channels one user may bring into being per hour, explicitly or by using a new public
 * id (issue #14: one user made 300 channel rows in seconds). Producer and consumer read it alike.
 */
export const channelEnv = {
  CHANNELS_PER_USER_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
};

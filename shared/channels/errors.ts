import { AppError } from "../errors.ts";

/**
 * The one answer for "no such channel" and "not yours to read", on every surface (subscribe,
 * publish, history, members, read markers), so nobody learns which private channels and DMs exist.
 */
export function notMemberError(channel: string): AppError {
  return new AppError("FORBIDDEN", `not a member of channel ${channel}`);
}

/** The answer once a user has created their hourly share of channels (CHANNELS_PER_USER_PER_HOUR). */
export function channelQuotaError(): AppError {
  return new AppError("RATE_LIMITED", "too many new channels this hour; try again later", 60);
}

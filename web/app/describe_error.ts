import { RtmError } from "../sdk/mod.ts";

/** What to tell the user about a failure, by the server's error code. */
export function describeError(err: unknown): string {
  if (!(err instanceof RtmError)) return "Something went wrong. Please try again.";
  switch (err.code) {
    case "RATE_LIMITED":
      return `Slow down: you are sending too fast (rate limited).${
        err.retryAfterSeconds ? ` Try again in ${err.retryAfterSeconds} s.` : ""
      }`;
    case "TOO_LARGE":
      return "That message is too large to send.";
    case "FORBIDDEN":
      return "You are not allowed to do that here (forbidden).";
    case "UNAUTHENTICATED":
      return "Wrong email or password, or your session has ended.";
    case "CONFLICT":
      return "That already exists (a channel by that name, or an account with that email).";
    case "NOT_FOUND":
      return "Not found.";
    case "UNAVAILABLE":
      return "The server is unavailable right now; try again shortly.";
    case "INVALID":
      return `Not accepted: ${err.message}`;
    default:
      return "The server failed; try again.";
  }
}

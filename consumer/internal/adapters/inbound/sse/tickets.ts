import { AppError } from "../../../../../shared/errors.ts";
import type { Principal } from "../../../../../shared/ports/tokens.ts";

/** How long a ticket can wait for its `EventSource` to open. */
export const TICKET_TTL_MS = 30_000;
/** Unused tickets held at most (they are small; this bounds a flood of POSTs). */
const MAX_TICKETS = 10_000;

/**
 * Single-use, short-lived tickets that stand for an access token in an `EventSource` URL
 * (browsers cannot set its headers), so the token itself never reaches a URL or an access log.
 * Held in this process: a ticket opens a stream on the instance that issued it.
 */
export class SseTickets {
  private readonly held = new Map<string, { principal: Principal; expiresAtMs: number }>();

  issue(principal: Principal, nowMs = Date.now()): { ticket: string; expiresAtMs: number } {
    if (this.held.size >= MAX_TICKETS) this.sweep(nowMs);
    if (this.held.size >= MAX_TICKETS) {
      throw new AppError("RATE_LIMITED", "too many unused stream tickets; retry shortly", 1);
    }
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    const ticket = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
    const expiresAtMs = Math.min(nowMs + TICKET_TTL_MS, principal.expiresAt * 1000);
    this.held.set(ticket, { principal, expiresAtMs });
    return { ticket, expiresAtMs };
  }

  /** The ticket's principal, once: a second use, or a use after expiry, is UNAUTHENTICATED. */
  redeem(ticket: string, nowMs = Date.now()): Principal {
    const held = this.held.get(ticket);
    this.held.delete(ticket);
    if (!held || held.expiresAtMs <= nowMs) {
      throw new AppError("UNAUTHENTICATED", "unknown, used or expired stream ticket");
    }
    return held.principal;
  }

  private sweep(nowMs: number): void {
    for (const [ticket, { expiresAtMs }] of this.held) {
      if (expiresAtMs <= nowMs) this.held.delete(ticket);
    }
  }
}

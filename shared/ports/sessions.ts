/** A user whose session auth revoked at `at` (epoch seconds): logout, or a replayed token. */
export interface SessionRevocation {
  userId: string;
  at: number;
}

/** Tells a service about revoked sessions, so it can close the sockets they opened. */
export interface SessionRevocations {
  start(onRevoked: (revocation: SessionRevocation) => void): void;
  stop(): void;
}

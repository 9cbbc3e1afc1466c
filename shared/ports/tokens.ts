/** Who is calling, as proven by a verified access token. */
export interface Principal {
  userId: string;
  /** Expiry as epoch seconds: sockets are closed when the token they opened with runs out. */
  expiresAt: number;
  /** Issue time as epoch seconds: a session revoked after it ends the sockets it opened. */
  issuedAt: number;
}

export interface TokenVerifier {
  /** Rejects with AppError("UNAUTHENTICATED") for any token that is not valid right now. */
  verify(token: string): Promise<Principal>;
}

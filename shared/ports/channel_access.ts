/** Who may publish to and read a channel. Public channels spring into existence when first used. */
export interface ChannelAccess {
  /**
   * Resolves when `userId` may publish to and read `channel`; rejects with AppError("FORBIDDEN")
   * when not, or AppError("UNAVAILABLE") when the answer cannot be had. An unknown channel is
   * created as public.
   */
  authorize(userId: string, channel: string): Promise<void>;
}

/** A cache of access answers that can drop one at once (a revoked membership). */
export interface AccessCache {
  forget(channel: string, userId: string): void;
}

/** What an edit, delete or reaction needs to know about the message it acts on. */
export interface EventTarget {
  /** Its author. */
  sender: string;
  /** The seq is an event's, not a message's: nothing to act on. */
  isEvent: boolean;
  deleted: boolean;
}

export interface TargetLookup {
  /** The message at the event's target seq; undefined when none is stored (yet, or any more). */
  target?: EventTarget;
  /** The caller owns the channel (may delete anyone's message). */
  callerOwns: boolean;
  /** The caller's clientMsgId is stored in the channel already: this is a retry. */
  alreadyStored: boolean;
}

/** Reads what authorizing an event needs, in one bounded call; rejects UNAVAILABLE when it cannot. */
export interface EventTargets {
  lookup(
    userId: string,
    channel: string,
    target: number,
    clientMsgId: string,
  ): Promise<TargetLookup>;
}

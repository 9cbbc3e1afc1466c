/** What a proxy hook is asked: may `user` do `action` in `channel`? */
export interface HookQuestion {
  action: "subscribe" | "publish";
  user: string;
  channel: string;
}

/** Asks the application's backend at `url`. */
export interface HookCaller {
  /**
   * Resolves the backend's decision (true: allowed); rejects when there is none within
   * `timeoutMs` (no answer, an error status, an answer that is not a decision).
   */
  ask(url: string, question: HookQuestion, timeoutMs: number): Promise<boolean>;
}

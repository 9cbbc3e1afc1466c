import { AppError } from "../errors.ts";
import type { Namespaces } from "../namespaces/namespaces.ts";
import type { ChannelAccess } from "../ports/channel_access.ts";
import type { HookCaller, HookQuestion } from "../ports/proxy_hook.ts";

/** Decisions kept at most (the oldest go first): a flood of distinct users stays bounded. */
const MAX_CACHED = 10_000;

/**
 * Proxy hooks: before a client subscribes (consumer) or publishes (producer) in a namespace with
 * a hook, the application's backend decides. A decision is cached per (user, channel, action) for
 * the hook's TTL; equal questions asked while one is out share its call. At most `maxPending`
 * calls are out at once: past that a question is refused before any call is made. No answer in
 * time, or a failing backend, is UNAVAILABLE (retryable) and never lets the action through; a
 * refusal is FORBIDDEN.
 */
export class ProxyHookGate {
  private readonly decisions = new Map<string, { allowed: boolean; until: number }>();
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly namespaces: Namespaces,
    private readonly caller: HookCaller,
    private readonly maxPending: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the action may go ahead (always, in a namespace without a hook). */
  async check(question: HookQuestion): Promise<void> {
    const hook = this.namespaces.hook(question.channel, question.action);
    if (!hook) return;
    const key = `${question.action}\n${question.user}\n${question.channel}`;
    const cached = this.decisions.get(key);
    let allowed: boolean;
    if (cached && cached.until > this.now()) {
      allowed = cached.allowed;
    } else {
      this.decisions.delete(key);
      allowed = await this.ask(key, hook.url, question, hook.timeoutMs, hook.cacheTtlMs);
    }
    if (!allowed) {
      throw new AppError(
        "FORBIDDEN",
        `the application refused ${question.action} to ${question.channel}`,
      );
    }
  }

  private ask(
    key: string,
    url: string,
    question: HookQuestion,
    timeoutMs: number,
    ttlMs: number,
  ): Promise<boolean> {
    const shared = this.asking.get(key);
    if (shared) return shared;
    if (this.asking.size >= this.maxPending) {
      return Promise.reject(
        new AppError("UNAVAILABLE", "too many authorization calls to the application, retry"),
      );
    }
    const call = this.caller.ask(url, question, timeoutMs).then(
      (allowed) => {
        if (ttlMs > 0) this.remember(key, allowed, ttlMs);
        return allowed;
      },
      () => {
        throw new AppError("UNAVAILABLE", "the application did not authorize in time, retry");
      },
    ).finally(() => this.asking.delete(key));
    this.asking.set(key, call);
    return call;
  }

  private remember(key: string, allowed: boolean, ttlMs: number): void {
    this.decisions.set(key, { allowed, until: this.now() + ttlMs });
    if (this.decisions.size > MAX_CACHED) {
      this.decisions.delete(this.decisions.keys().next().value!);
    }
  }
}

/** `access`, then the hook for `action`: a channel's own rules first, the application's after. */
export function hookedAccess(
  access: ChannelAccess,
  gate: ProxyHookGate,
  action: HookQuestion["action"],
): ChannelAccess {
  return {
    authorize: async (user, channel) => {
      await access.authorize(user, channel);
      await gate.check({ action, user, channel });
    },
  };
}

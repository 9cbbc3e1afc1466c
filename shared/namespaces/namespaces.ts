import { z } from "zod";
import { ConfigError } from "../config/env.ts";
import { namespaceOf } from "../domain/channel.ts";
import { AppError } from "../errors.ts";

/**
 * A proxy hook: the application's backend decides who may subscribe to or publish in the
 * namespace's channels (POST, signed like webhooks; see shared/proxy_hooks/). The timeout bounds
 * each call; a decision is reused for `cacheTtlMs` per user, channel and action (0: never).
 */
export const ProxyHookOptions = z.object({
  url: z.url({ protocol: /^https?$/ }),
  subscribe: z.boolean().default(true),
  publish: z.boolean().default(true),
  timeoutMs: z.number().int().min(10).max(10_000).default(1_000),
  cacheTtlMs: z.number().int().min(0).max(300_000).default(5_000),
}).strict();
export type ProxyHookOptions = z.infer<typeof ProxyHookOptions>;

/** One namespace's options; everything left out behaves as a channel without a namespace. */
export const NamespaceOptions = z.object({
  /** Keep only the newest N messages of each channel. */
  historyMaxCount: z.number().int().positive().optional(),
  /** Keep messages this long (by their send time). */
  historyMaxAgeSeconds: z.number().int().positive().optional(),
  /** Track who is online (subscribed) in the namespace's channels. */
  presence: z.boolean().default(true),
  /** Send subscribers presence frames as users join and leave. */
  joinLeave: z.boolean().default(true),
  /** False: only the server API publishes (a client's publish is FORBIDDEN). */
  clientPublish: z.boolean().default(true),
  /** Below the global MAX_BODY_BYTES, for this namespace. */
  maxBodyBytes: z.number().int().positive().optional(),
  /** Ask the application's backend before a client subscribes or publishes. */
  proxy: ProxyHookOptions.optional(),
}).strict();
export type NamespaceOptions = z.infer<typeof NamespaceOptions>;

const NamespacesFile = z.record(
  z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "namespace names match [A-Za-z0-9_-]{1,32}"),
  NamespaceOptions,
);

const DEFAULTS: NamespaceOptions = NamespaceOptions.parse({});

/**
 * Channel namespaces: `<namespace>:<name>` takes its namespace's options; a channel without a
 * namespace keeps the defaults. A namespace nobody configured is refused (INVALID), so a typo
 * never creates channels that silently behave as defaults.
 */
export class Namespaces {
  private constructor(private readonly byName: ReadonlyMap<string, NamespaceOptions>) {}

  static readonly none = new Namespaces(new Map());

  /** Reads and validates NAMESPACES_FILE (JSON: `{ "<namespace>": {options} }`) at start. */
  static load(path: string | undefined): Namespaces {
    if (!path) return Namespaces.none;
    let data: unknown;
    try {
      data = JSON.parse(Deno.readTextFileSync(path));
    } catch (err) {
      throw new ConfigError([`NAMESPACES_FILE: cannot read ${path} as JSON: ${err}`]);
    }
    const parsed = NamespacesFile.safeParse(data);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((i) => `NAMESPACES_FILE ${i.path.join(".")}: ${i.message}`),
      );
    }
    return new Namespaces(new Map(Object.entries(parsed.data)));
  }

  /** The options of `channel`; INVALID for a namespace that is not configured. */
  of(channel: string): NamespaceOptions {
    const name = namespaceOf(channel);
    if (name === undefined) return DEFAULTS;
    const options = this.byName.get(name);
    if (!options) throw new AppError("INVALID", `unknown channel namespace ${name}`);
    return options;
  }

  /** The hook that decides `action` in `channel`'s namespace, if there is one. */
  hook(channel: string, action: "subscribe" | "publish"): ProxyHookOptions | undefined {
    const hook = this.of(channel).proxy;
    return hook?.[action] ? hook : undefined;
  }

  /** Whether any namespace has a proxy hook (they then need PROXY_HOOK_SECRET). */
  hasHooks(): boolean {
    return [...this.byName.values()].some((o) => o.proxy !== undefined);
  }

  /** The namespaces that prune their history. */
  withRetention(): { name: string; maxCount?: number; maxAgeSeconds?: number }[] {
    return [...this.byName].filter(([, o]) => o.historyMaxCount || o.historyMaxAgeSeconds)
      .map(([name, o]) => ({
        name,
        maxCount: o.historyMaxCount,
        maxAgeSeconds: o.historyMaxAgeSeconds,
      }));
  }
}

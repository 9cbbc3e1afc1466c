import { z } from "zod";
import { ConfigError } from "../config/env.ts";
import { namespaceOf } from "../domain/channel.ts";
import { AppError } from "../errors.ts";

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

import { z } from "zod";

/**
 * Reads the environment once into a typed object. A bad value throws ConfigError naming every
 * offending variable, so a process stops at start with a message an operator can act on.
 */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): z.infer<S> {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
  );
}

/** Common field builders so every service validates the same kinds of values the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  url: () => z.url().optional(),
  logLevel: () => z.enum(["debug", "info", "warn", "error"]).default("info"),
};

/** The token settings every service shares: who issues access tokens and for whom. */
export const tokenEnv = {
  AUTH_ISSUER: z.string().min(1).default("rtm-auth"),
  AUTH_AUDIENCE: z.string().min(1).default("rtm"),
};

/** Browser origins allowed to call a service cross-origin: a comma-separated list, or `*`. */
export const corsEnv = {
  CORS_ORIGINS: z.string().default("").transform((s) =>
    s.split(",").map((o) => o.trim()).filter(Boolean)
  ),
};

/** A bearer token `/metrics` requires (unset: open); long enough not to be guessed. */
export const metricsEnv = {
  METRICS_TOKEN: z.string().min(16).optional(),
};

/** Runs `load`, printing a ConfigError and exiting with status 2 instead of a stack trace. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(2);
    }
    throw err;
  }
}

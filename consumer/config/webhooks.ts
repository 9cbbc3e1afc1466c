import { z } from "zod";
import { ConfigError, env } from "../../shared/config/env.ts";
import { webhookKey, WebhookSecret } from "../../shared/webhooks/signature.ts";
import type { WebhookPolicy } from "../internal/domain/services/webhook_dispatcher.ts";

/** Webhooks: off unless WEBHOOK_URLS names endpoints, which then need WEBHOOK_SECRET. */
export const webhookEnv = {
  WEBHOOK_URLS: z.string().default("").transform((s) =>
    s.split(",").map((u) => u.trim()).filter(Boolean)
  ).pipe(z.array(z.url())),
  WEBHOOK_SECRET: WebhookSecret.optional(),
  // 20 attempts, waits doubling from 1 s up to 1 h: about 10 hours before a dead letter.
  WEBHOOK_MAX_ATTEMPTS: env.positiveInt(20),
  WEBHOOK_RETRY_BASE_MS: env.positiveInt(1_000),
  WEBHOOK_RETRY_MAX_MS: env.positiveInt(3_600_000),
  WEBHOOK_TIMEOUT_MS: env.positiveInt(10_000),
};
type WebhookVars = z.infer<z.ZodObject<typeof webhookEnv>>;

export interface WebhookConfig extends WebhookPolicy {
  key: Uint8Array;
}

export function webhooksFrom(e: WebhookVars): WebhookConfig | undefined {
  if (e.WEBHOOK_URLS.length === 0) return undefined;
  if (!e.WEBHOOK_SECRET) {
    throw new ConfigError(["WEBHOOK_SECRET: required when WEBHOOK_URLS is set"]);
  }
  return {
    urls: e.WEBHOOK_URLS,
    key: webhookKey(e.WEBHOOK_SECRET),
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
  };
}

import { z } from "zod";
import { ConfigError } from "../config/env.ts";
import type { Namespaces } from "../namespaces/namespaces.ts";
import { webhookKey, WebhookSecret } from "../webhooks/signature.ts";

/** Proxy hooks (namespace option `proxy`): how calls are signed, how many may be out at once. */
export const proxyHookEnv = {
  PROXY_HOOK_SECRET: WebhookSecret.optional(),
  /** Hook calls awaiting an answer, per process; more are refused UNAVAILABLE before calling. */
  PROXY_HOOK_MAX_PENDING: z.coerce.number().int().min(1).max(100_000).default(256),
};
type ProxyHookVars = z.infer<z.ZodObject<typeof proxyHookEnv>>;

export interface ProxyHookConfig {
  /** The signing key; present whenever a namespace has a hook. */
  key?: Uint8Array;
  maxPending: number;
}

export function proxyHooksFrom(e: ProxyHookVars, namespaces: Namespaces): ProxyHookConfig {
  if (namespaces.hasHooks() && !e.PROXY_HOOK_SECRET) {
    throw new ConfigError(["PROXY_HOOK_SECRET: required when a namespace has a proxy hook"]);
  }
  return {
    key: e.PROXY_HOOK_SECRET ? webhookKey(e.PROXY_HOOK_SECRET) : undefined,
    maxPending: e.PROXY_HOOK_MAX_PENDING,
  };
}

import { z } from "zod";
import type { HookCaller, HookQuestion } from "../ports/proxy_hook.ts";
import { signWebhook } from "../webhooks/signature.ts";

/** The one answer a hook gives: `{"allow": true}` or `{"allow": false}`. */
const Decision = z.object({ allow: z.boolean() });
/** A decision is a few bytes; anything longer is not one (and is not read further). */
const MAX_ANSWER_BYTES = 4_096;

/**
 * Asks over HTTP: a POST of `{id, type: "subscribe" | "publish", timestamp, data: {user,
 * channel}}`, signed like a webhook (the backend checks it came from here), answered with 200
 * and a decision within the timeout, body included.
 */
export class HttpHookCaller implements HookCaller {
  constructor(private readonly key: Uint8Array) {}

  async ask(url: string, question: HookQuestion, timeoutMs: number): Promise<boolean> {
    const id = `hook_${crypto.randomUUID()}`;
    const body = JSON.stringify({
      id,
      type: question.action,
      timestamp: new Date().toISOString(),
      data: { user: question.user, channel: question.channel },
    });
    const signed = await signWebhook(this.key, id, Math.floor(Date.now() / 1000), body);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...signed },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`hook answered HTTP ${res.status}`);
    }
    return Decision.parse(JSON.parse(await boundedText(res))).allow;
  }
}

/** The body as text, refused (and no longer read) once it passes MAX_ANSWER_BYTES. */
async function boundedText(res: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new Error("hook answer too long");
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
  return new TextDecoder().decode(bytes);
}

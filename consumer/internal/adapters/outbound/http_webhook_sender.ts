import { signWebhook } from "../../../../shared/webhooks/signature.ts";
import type { WebhookEvent, WebhookSender } from "../../domain/ports/webhooks.ts";

/** POSTs a signed event; anything but a 2xx answer within the timeout is a failure. */
export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly key: Uint8Array, private readonly timeoutMs: number) {}

  async send(url: string, event: WebhookEvent): Promise<void> {
    const body = JSON.stringify(event);
    const signed = await signWebhook(this.key, event.id, Math.floor(Date.now() / 1000), body);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...signed },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}

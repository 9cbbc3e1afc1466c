import assert from "node:assert/strict";
import { eventually } from "../shared/testing/eventually.ts";
import { verifyWebhook } from "../shared/webhooks/signature.ts";

/** An application's endpoint: verifies every request, keeps each event once, in arrival order. */
export class Receiver<D = Record<string, string>> {
  readonly events: { id: string; type: string; data: D }[] = [];
  badSignatures = 0;
  private server?: Deno.HttpServer;

  constructor(readonly port: number, private readonly key: Uint8Array, private status = 204) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  start(): void {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: this.port, onListen: () => {} },
      async (req) => {
        const body = await req.text();
        if (!await verifyWebhook(this.key, req.headers, body)) {
          this.badSignatures++;
          return new Response(null, { status: 401 });
        }
        const event = JSON.parse(body);
        if (this.status < 300 && !this.events.some((e) => e.id === event.id)) {
          this.events.push(event);
        }
        return new Response(null, { status: this.status });
      },
    );
  }

  async stop(): Promise<void> {
    await this.server?.shutdown();
  }

  async until(count: number): Promise<void> {
    await eventually(`${count} events`, () => this.events.length >= count);
    assert.equal(this.events.length, count);
  }
}

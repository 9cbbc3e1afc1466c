import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import assert from "node:assert/strict";
import { brokerNames } from "../broker/subjects.ts";
import type { DeadLetter, EventDeadLetter } from "../ports/broker.ts";
import { verifyWebhook } from "../webhooks/signature.ts";
import { eventually } from "./eventually.ts";

export interface ReceivedEvent {
  id: string;
  type: string;
  data: { channel: string } & Record<string, unknown>;
}

/** An application's endpoint: verifies every request, keeps each event once, in arrival order. */
export class WebhookReceiver {
  readonly events: ReceivedEvent[] = [];
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
          this.events.push(
            event,
          );
        }
        return new Response(null, { status: this.status });
      },
    );
  }

  async stop(): Promise<void> {
    await this.server?.shutdown();
  }

  /** `pick` of each event (a message's clientMsgId by default) per channel, in arrival order. */
  byChannel(pick: (e: ReceivedEvent) => string = (e) => String(e.data.clientMsgId)) {
    const out: Record<string, string[]> = {};
    for (const e of this.events) (out[e.data.channel] ??= []).push(pick(e));
    return out;
  }

  async until(count: number): Promise<void> {
    await eventually(`${count} events`, () => this.events.length >= count);
    assert.equal(this.events.length, count);
  }
}

/** The letters in a namespace's dead-letter stream, oldest first. */
export async function deadLetters<T = DeadLetter | EventDeadLetter>(
  natsUrl: string,
  namespace: string,
): Promise<T[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = brokerNames(namespace).deadLetterStream;
    const { state } = await jsm.streams.info(stream);
    const out: T[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (m) out.push(m.json<T>());
    }
    return out;
  } finally {
    await nc.close();
  }
}

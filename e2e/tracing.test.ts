import assert from "node:assert/strict";
import { eventually } from "../shared/testing/eventually.ts";
import { freePort } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { publishAndReceive } from "./flow.ts";

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

interface OtlpTraces {
  resourceSpans?: { scopeSpans?: { spans?: ReceivedSpan[] }[] }[];
}

/** A tiny OTLP/HTTP (JSON) receiver: what a collector would get from Deno's exporter. */
function otlpReceiver(port: number) {
  const spans: ReceivedSpan[] = [];
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/v1/traces") {
      const body = await req.json() as OtlpTraces;
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans ?? []);
      }
    } else await req.body?.cancel();
    return Response.json({});
  });
  return { spans, stop: () => server.shutdown() };
}

Deno.test("tracing: OTEL_DENO=true gives one trace from the producer's publish through JetStream to the consumer's persist and fan-out", async () => {
  const port = freePort();
  const receiver = otlpReceiver(port);
  const system = await startDistributed({
    env: {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    },
  });
  let stopped = false;
  try {
    const { channel } = await publishAndReceive({
      auth: system.authUrl,
      producerWs: wsUrl(system.producerUrl),
      consumerWs: wsUrl(system.consumerUrls[0]),
    }, 1);
    // Spans leave in batches, and at the latest when a process exits.
    await system.stop();
    stopped = true;
    const named = (name: string) => receiver.spans.filter((s) => s.name === name);
    await eventually(
      "publish, persist and fan-out spans exported",
      () => ["rtm.publish", "rtm.persist", "rtm.fanout"].every((n) => named(n).length > 0),
      {
        timeoutMs: 10_000,
      },
    );
    const [publish] = named("rtm.publish");
    assert.ok(!publish.parentSpanId, "a socket's publish starts a trace of its own");
    const trace = receiver.spans.filter((s) => s.traceId === publish.traceId);
    const persist = trace.find((s) => s.name === "rtm.persist");
    const fanout = trace.find((s) => s.name === "rtm.fanout");
    assert.ok(persist, `a persist span in the publish's trace (channel ${channel})`);
    assert.ok(fanout, "a fan-out span in the publish's trace");
    // rtm.publish exists only in the producer's process, rtm.persist only in the consumer's: the
    // link between them came over NATS, in the JetStream message's traceparent header.
    assert.equal(persist.parentSpanId, publish.spanId, "persist continues the publish");
    assert.equal(fanout.parentSpanId, persist.spanId, "fan-out continues the persist");
  } finally {
    if (!stopped) await system.stop();
    await receiver.stop();
  }
});

import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

/**
 * OpenTelemetry spans over Deno's built-in exporter, off unless the process runs with
 * OTEL_DENO=true (Deno then registers its tracer and a W3C propagator with the API and exports
 * over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT). A message's trace travels as a `traceparent` string:
 * a NATS header between processes, a field of the log entry inside the consumer.
 *
 * Off, the API hands out a tracer whose spans do not record: `tracingOn` is decided once from
 * that, and every traced path checks it first, so the hot path pays one boolean test.
 */
const tracer = trace.getTracer("rtm");

/** Whether spans are recorded (an unended probe span is never exported). */
export const tracingOn: boolean = tracer.startSpan("rtm.probe").isRecording();

/** The W3C `traceparent` of the active span, to hand to another process or a later step. */
export function activeTraceparent(): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
}

/**
 * Runs `fn` inside a new active span, ended when `fn` settles: a child of the active span, or with
 * `newTrace` the root of a trace of its own that links to it.
 */
export function traced<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: () => Promise<T>,
  { newTrace = false } = {},
): Promise<T> {
  const parent = trace.getSpanContext(context.active());
  const links = newTrace && parent ? [{ context: parent }] : undefined;
  return tracer.startActiveSpan(name, { kind, attributes, root: newTrace, links }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span that began at `startMs` (epoch milliseconds) in `traceparent`'s trace, still open. */
export function spanSince(
  name: string,
  traceparent: string | undefined,
  startMs: number,
  attributes: Attributes,
): Span {
  return tracer.startSpan(
    name,
    { kind: SpanKind.CONSUMER, startTime: startMs, attributes },
    contextOf(traceparent),
  );
}

/** Runs `fn` with `span` active, so spans it starts and traceparents it reads continue it. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Runs `fn` in `traceparent`'s trace (a message received from another process). */
export function inTrace<T>(traceparent: string, fn: () => T): T {
  return context.with(contextOf(traceparent), fn);
}

export { SpanKind };

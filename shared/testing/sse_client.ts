import type { ServerFrame } from "../protocol/frames.ts";

/** One Server-Sent Event as a test reads it: its `id` (when it had one) and its frame. */
export interface SseEvent {
  id?: string;
  frame: ServerFrame;
}

/**
 * A test reader of a `text/event-stream` response: events are queued as they arrive and `next`
 * waits for the next one (with a timeout); `ended` resolves when the server ends the stream.
 */
export class SseClient {
  private readonly events: SseEvent[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  readonly ended: Promise<void>;
  private readonly abort = new AbortController();

  private constructor(readonly response: Response) {
    this.ended = this.read().catch(() => {}).finally(() => {
      this.finished = true;
      this.wake?.();
    });
  }

  /** Opens `url`; rejects with the status and body when the server refuses the stream. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.status !== 200) {
      throw new Error(`SSE ${response.status}: ${await response.text()}`);
    }
    const client = new SseClient(response);
    client.abort.signal.addEventListener("abort", () => abort.abort());
    return client;
  }

  /** The next event; rejects after `timeoutMs`, or when the stream ended with nothing queued. */
  async next(timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (!this.events.length) {
      if (this.finished) throw new Error("SSE stream ended");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.events.shift()!;
  }

  /** Drops the connection, as a client that went away does. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.ended;
  }

  private async read(): Promise<void> {
    const reader = this.response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        let data: string | undefined;
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) id = line.slice(4);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        if (data === undefined) continue; // a comment (keep-alive)
        this.events.push({ id, frame: JSON.parse(data) });
        this.wake?.();
      }
    }
  }
}

import { CHANNEL_ID_PATTERN } from "../../../../../shared/domain/channel.ts";
import { AppError } from "../../../../../shared/errors.ts";

/**
 * Where an SSE stream stands in each of its channels: the last seq it delivered per channel.
 * It travels as the event `id` (`general:41,random:7`, the event's own channel first), so the
 * browser's `Last-Event-ID` on reconnect names every channel's position, not only the last one's,
 * and the resume is exact on all of them.
 */
export class SseCursor {
  private constructor(private readonly seqs: Map<string, number>) {}

  static empty(): SseCursor {
    return new SseCursor(new Map());
  }

  /** Parses a `Last-Event-ID`; INVALID when it is not a cursor this server wrote. */
  static parse(text: string): SseCursor {
    const seqs = new Map<string, number>();
    for (const part of text.split(",")) {
      const at = part.lastIndexOf(":");
      const channel = part.slice(0, at);
      const seq = Number(part.slice(at + 1));
      if (
        at < 1 || !CHANNEL_ID_PATTERN.test(channel) || !/^\d+$/.test(part.slice(at + 1)) ||
        !Number.isSafeInteger(seq)
      ) {
        throw new AppError("INVALID", "Last-Event-ID is not a cursor (channel:seq,…)");
      }
      seqs.set(channel, seq);
    }
    return new SseCursor(seqs);
  }

  seqOf(channel: string): number | undefined {
    return this.seqs.get(channel);
  }

  /** Moves `channel` to `seq` and answers the event id: this channel first, then the others. */
  advance(channel: string, seq: number): string {
    this.seqs.set(channel, seq);
    let id = `${channel}:${seq}`;
    for (const [c, s] of this.seqs) if (c !== channel) id += `,${c}:${s}`;
    return id;
  }
}

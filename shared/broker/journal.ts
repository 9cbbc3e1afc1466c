import { dirname } from "node:path";
import { AcceptedMessage } from "../domain/message.ts";

/** One accepted message as the in-process broker records it before acknowledging it. */
export interface JournalRecord {
  seq: number;
  /** Epoch milliseconds of the append, for the duplicate window after a restart. */
  at: number;
  dedupeKey: string;
  message: AcceptedMessage;
}

type Op =
  | { kind: "append"; line: string; done: (err?: unknown) => void }
  | { kind: "truncate"; when: () => boolean };

const encoder = new TextEncoder();

/**
 * An append-only, fsync'd file that makes the single-node broker's acks durable: a publish is
 * acknowledged only after its record is on disk. Appends arriving together share one write and
 * one fdatasync (group commit). Once every journaled message is in PostgreSQL, the file is
 * emptied; after a crash the records are replayed and PostgreSQL's unique key drops the ones
 * that were stored already.
 */
export class FileJournal {
  private readonly ops: Op[] = [];
  private running = false;

  private constructor(private readonly file: Deno.FsFile) {}

  /** Opens (creating) the journal and returns the records a previous run left behind. */
  static async open(path: string): Promise<{ journal: FileJournal; records: JournalRecord[] }> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const records: JournalRecord[] = [];
    try {
      for (const line of (await Deno.readTextFile(path)).split("\n")) {
        const record = parseRecord(line);
        // A torn last line (a crash mid-write) was never acknowledged: skip it.
        if (record) records.push(record);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const file = await Deno.open(path, { create: true, append: true });
    return { journal: new FileJournal(file), records };
  }

  /** Resolves once the record is on disk. */
  append(record: JournalRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ops.push({
        kind: "append",
        line: JSON.stringify(record) + "\n",
        done: (err) => err ? reject(err) : resolve(),
      });
      this.kick();
    });
  }

  /** Empties the file if `when()` still holds once every earlier append is on disk. */
  truncateIf(when: () => boolean): void {
    this.ops.push({ kind: "truncate", when });
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    queueMicrotask(() => this.drain().finally(() => this.running = false));
  }

  private async drain(): Promise<void> {
    while (this.ops.length) {
      const op = this.ops[0];
      if (op.kind === "truncate") {
        this.ops.shift();
        if (op.when()) await this.file.truncate(0);
        continue;
      }
      // Group commit: every append queued up to the next truncate goes in one write + sync.
      const end = this.ops.findIndex((o) => o.kind === "truncate");
      const batch = this.ops.splice(0, end === -1 ? this.ops.length : end) as Extract<
        Op,
        { kind: "append" }
      >[];
      try {
        const bytes = encoder.encode(batch.map((o) => o.line).join(""));
        for (let written = 0; written < bytes.length;) {
          written += await this.file.write(bytes.subarray(written));
        }
        await this.file.syncData();
        for (const o of batch) o.done();
      } catch (err) {
        for (const o of batch) o.done(err);
      }
    }
  }

  close(): void {
    this.file.close();
  }
}

function parseRecord(line: string): JournalRecord | undefined {
  if (!line.trim()) return undefined;
  try {
    const r = JSON.parse(line);
    const message = AcceptedMessage.safeParse(r?.message);
    if (!message.success || typeof r.seq !== "number" || typeof r.dedupeKey !== "string") {
      return undefined;
    }
    return { seq: r.seq, at: Number(r.at) || 0, dedupeKey: r.dedupeKey, message: message.data };
  } catch {
    return undefined;
  }
}

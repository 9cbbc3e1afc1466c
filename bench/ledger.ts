/**
 * Correctness under load: every subscriber must see its channel's seqs exactly once, in order,
 * with no gap; every acked message must reach the subscribers; PostgreSQL must hold each message
 * once under a gap-free seq. Violations are collected (a bounded list) and fail the run.
 */
export class Ledger {
  private readonly acked = new Map<string, Set<string>>();
  private readonly subscribers: SubscriberTrack[] = [];
  private readonly violationList: string[] = [];
  private violationCount = 0;
  publishErrors = 0;

  ack(channel: string, clientMsgId: string): void {
    let ids = this.acked.get(channel);
    if (!ids) this.acked.set(channel, ids = new Set());
    if (ids.has(clientMsgId)) this.violation(`${channel}: ${clientMsgId} acked twice`);
    ids.add(clientMsgId);
  }

  ackedCount(channel?: string): number {
    if (channel !== undefined) return this.acked.get(channel)?.size ?? 0;
    let n = 0;
    for (const ids of this.acked.values()) n += ids.size;
    return n;
  }

  /**
   * A subscriber of `channel` that starts after `lastSeq`. A witness also keeps every clientMsgId
   * it sees, to prove each acked message arrived (one witness per channel is enough: the others
   * must then agree with it seq for seq).
   */
  subscriber(channel: string, lastSeq: number, witness = false): SubscriberTrack {
    const track = new SubscriberTrack(channel, lastSeq, witness, (v) => this.violation(v));
    this.subscribers.push(track);
    return track;
  }

  violation(text: string): void {
    this.violationCount++;
    if (this.violationList.length < 20) this.violationList.push(text);
  }

  /** Checks the end state against PostgreSQL's per-channel figures; returns every violation. */
  verify(db: Map<string, ChannelFacts>): { count: number; examples: string[] } {
    for (const [channel, ids] of this.acked) {
      const facts = db.get(channel);
      if (!facts) {
        this.violation(`${channel}: ${ids.size} acked messages, none stored`);
        continue;
      }
      if (facts.rows !== facts.lastSeq || facts.maxSeq !== facts.lastSeq || facts.minSeq > 1) {
        this.violation(`${channel}: stored seqs not gap-free ${JSON.stringify(facts)}`);
      }
      if (facts.rows < ids.size) {
        this.violation(`${channel}: ${ids.size} acked but ${facts.rows} stored`);
      }
    }
    for (const s of this.subscribers) {
      const facts = db.get(s.channel);
      const head = facts?.lastSeq ?? 0;
      if (s.lastSeq !== head) {
        this.violation(`${s.channel}: a subscriber ended at seq ${s.lastSeq}, channel at ${head}`);
      }
      if (s.witnessed) {
        if (s.witnessed.size !== s.received) {
          this.violation(`${s.channel}: a clientMsgId was delivered under two seqs`);
        }
        for (const id of this.acked.get(s.channel) ?? []) {
          if (!s.witnessed.has(id)) {
            this.violation(`${s.channel}: acked ${id} never delivered`);
            break;
          }
        }
      }
    }
    return { count: this.violationCount, examples: [...this.violationList] };
  }

  get violations(): number {
    return this.violationCount;
  }
}

export interface ChannelFacts {
  rows: number;
  minSeq: number;
  maxSeq: number;
  lastSeq: number;
}

export class SubscriberTrack {
  received = 0;
  readonly witnessed: Set<string> | undefined;

  constructor(
    readonly channel: string,
    public lastSeq: number,
    witness: boolean,
    private readonly report: (violation: string) => void,
  ) {
    this.witnessed = witness ? new Set() : undefined;
  }

  /** One delivered message; a seq other than lastSeq + 1 is a gap, a duplicate or a reorder. */
  onMessage(seq: number, clientMsgId: string): void {
    if (seq !== this.lastSeq + 1) {
      this.report(
        `${this.channel}: got seq ${seq} after ${this.lastSeq} (${
          seq <= this.lastSeq ? "duplicate or reorder" : "gap"
        })`,
      );
    }
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.received++;
    this.witnessed?.add(clientMsgId);
  }
}

import type { ChannelKind } from "../../../../shared/domain/channel.ts";

/** A user's read marker that moved (to `seq`), in a channel of `channelKind`. */
export interface ReadReceipt {
  channel: string;
  channelKind: ChannelKind;
  user: string;
  seq: number;
}

/** Tells whoever should know that a read marker moved: at most once, never failing the read. */
export interface ReadReceipts {
  read(receipt: ReadReceipt): void;
}

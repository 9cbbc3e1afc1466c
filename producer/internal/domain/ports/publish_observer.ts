import type { ErrorCode } from "../../../../shared/errors.ts";

/** Outcome hooks for metrics, so the domain stays free of a metrics library. */
export interface PublishObserver {
  published(result: "ok" | "duplicate" | ErrorCode, seconds: number): void;
  logAppended(seconds: number): void;
}

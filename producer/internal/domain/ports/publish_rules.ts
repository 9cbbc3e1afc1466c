/**
 * Per-channel rules on top of the global limits (channel namespaces): throws an AppError when a
 * publish of `bodyBytes` to `channel` may not go ahead.
 */
export type PublishRules = (channel: string, bodyBytes: number) => void;

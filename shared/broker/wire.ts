const decoder = new TextDecoder();

/** A NATS payload as JSON, or undefined when it is not JSON (the caller's schema then refuses it). */
export function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

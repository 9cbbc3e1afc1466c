/**
 * Which browser origins may call a service cross-origin. The chat page is served by the consumer
 * and calls auth and the producer on other ports, so they must answer its preflights.
 * An empty list means "any http(s) origin on this machine" (localhost, 127.0.0.1, [::1]), the
 * development default; `*` allows every origin (tokens travel in headers, never in cookies).
 */
export function corsOriginPolicy(allowed: string[]): (origin: string) => string | null {
  if (allowed.includes("*")) return (origin) => origin;
  if (allowed.length) {
    const set = new Set(allowed.map((o) => o.replace(/\/$/, "")));
    return (origin) => set.has(origin) ? origin : null;
  }
  return (origin) => {
    try {
      const url = new URL(origin);
      const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
      return local && (url.protocol === "http:" || url.protocol === "https:") ? origin : null;
    } catch {
      return null;
    }
  };
}

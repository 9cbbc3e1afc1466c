/**
 * Ports are picked below Linux's ephemeral range (32768-60999), where the OS takes the local port
 * of every outgoing connection. A port taken from that range (what binding port 0 does) can be
 * claimed by any connect() before the service we hand it to binds it: a rare "address in use" seen
 * when many tests ran at once.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;

/** A TCP port that is free right now on 127.0.0.1, outside the ephemeral range. */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    }
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT} after 200 tries`);
}

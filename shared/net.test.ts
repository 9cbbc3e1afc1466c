import assert from "node:assert/strict";
import { freePort } from "./net.ts";

Deno.test("freePort: a bindable port below the range outgoing connections take theirs from", () => {
  const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").split(/\s+/)
    .map(Number);
  for (let i = 0; i < 50; i++) {
    const port = freePort();
    assert.ok(port >= 1024 && port < low, `port ${port} is below the ephemeral range (${low})`);
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
  }
});

import { BlockList, isIP } from "node:net";
import type { Cidr } from "./config.ts";

/**
 * Who is calling. The socket's peer is the client unless it is a trusted proxy; then the
 * X-Forwarded-For chain is read from the right, past every trusted hop, to the first address a
 * trusted proxy saw connect. Left of that, anything could be forged, so it is never read.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();

  constructor(trustedProxies: Cidr[]) {
    for (const c of trustedProxies) this.trusted.addSubnet(c.address, c.prefix, c.family);
  }

  resolve(peer: string, forwardedFor?: string | null): string {
    if (!forwardedFor || !this.isTrusted(peer)) return peer;
    let client = peer;
    for (const hop of forwardedFor.split(",").map((h) => h.trim()).reverse()) {
      if (!isIP(hop)) break;
      client = hop;
      if (!this.isTrusted(hop)) break;
    }
    return client;
  }

  private isTrusted(ip: string): boolean {
    const version = isIP(ip);
    return version !== 0 && this.trusted.check(ip, version === 4 ? "ipv4" : "ipv6");
  }
}

/** The 8 groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split("%")[0];
  const v4 = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${
      ((c << 8) | d).toString(16)
    }`;
  }
  const [head, tail] = text.split("::");
  const groups = (s: string) => s ? s.split(":") : [];
  const all = tail === undefined ? groups(head) : [
    ...groups(head),
    ...Array(8 - groups(head).length - groups(tail).length).fill("0"),
    ...groups(tail),
  ];
  return all.map((g) => parseInt(g, 16));
}

/**
 * The key a client is throttled under: an IPv4 address, or an IPv6 /64 — one subscriber usually
 * holds a whole /64, so rotating addresses inside it must not buy fresh budgets.
 */
export function throttleAddress(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const g = ipv6Groups(ip);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].join("."); // IPv4-mapped
  }
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(":")}::/64`;
}

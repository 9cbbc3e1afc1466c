import { base64url, calculateJwkThumbprint, generateKeyPair, importJWK, SignJWT } from "jose";
import { wsUrl } from "../../shared/testing/system.ts";
import { operations } from "./http_bodies.ts";
import { httpContractBreach } from "./typed_error.ts";

const ISSUER = "rtm-auth";
const AUDIENCE = "rtm";

type SigningKey = Parameters<SignJWT["sign"]>[0];

async function signed(key: SigningKey, kid: string, sub: string, expiresAt: number) {
  return await new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(expiresAt - 900)
    .setJti(crypto.randomUUID())
    .setExpirationTime(expiresAt)
    .sign(key);
}

/** The real signing key, so tokens can be minted that differ from a good one in one way only. */
export async function realKey(privateJwk: JsonWebKey): Promise<{ key: SigningKey; kid: string }> {
  const { kty, crv, x } = privateJwk as { kty: string; crv: string; x: string };
  const kid = await calculateJwkThumbprint({ kty, crv, x });
  const key = await importJWK({ ...privateJwk, alg: "EdDSA" } as never, "EdDSA");
  return { key, kid };
}

/** Tokens no service may accept, each with what is wrong with it. */
export async function badTokens(
  privateJwk: JsonWebKey,
  userId: string,
): Promise<[string, string][]> {
  const now = Math.floor(Date.now() / 1000);
  const { key, kid } = await realKey(privateJwk);
  const forger = (await generateKeyPair("EdDSA", { extractable: true })).privateKey;
  const good = await signed(key, kid, userId, now + 600);
  const [header, payload] = good.split(".");
  const json = (o: unknown) => base64url.encode(JSON.stringify(o));
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
  return [
    ["forged (another key, same kid)", await signed(forger, kid, userId, now + 600)],
    ["expired an hour ago", await signed(key, kid, userId, now - 3600)],
    ["alg none", `${json({ alg: "none", typ: "JWT" })}.${payload}.`],
    [
      "alg HS256 keyed with the public key",
      `${json({ alg: "HS256", kid })}.${payload}.${base64url.encode(new Uint8Array(32))}`,
    ],
    [
      "payload edited (sub of another user)",
      `${header}.${json({ ...claims, sub: crypto.randomUUID() })}.${good.split(".")[2]}`,
    ],
    ["garbage", "not.a.jwt"],
    ["empty bearer", ""],
  ];
}

/**
 * Every bad token is refused with 401 and a typed error on every surface that takes one: the
 * WebSocket upgrades of producer and consumer and the authenticated HTTP endpoints.
 */
export async function checkTokens(
  urls: { auth: string; producer: string; consumer: string },
  privateJwk: JsonWebKey,
  userId: string,
): Promise<{ inputs: number; violations: string[] }> {
  const violations: string[] = [];
  let inputs = 0;
  const surfaces: [string, string, RequestInit][] = [
    ["producer upgrade", `${urls.producer}/v1/ws`, {
      headers: { upgrade: "websocket", connection: "upgrade" },
    }],
    ["consumer upgrade", `${urls.consumer}/v1/ws`, {
      headers: { upgrade: "websocket", connection: "upgrade" },
    }],
    ["history", `${urls.consumer}/v1/channels/general/messages`, {}],
    ["http publish", `${urls.producer}/v1/channels/general/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientMsgId: crypto.randomUUID(), body: "forged" }),
    }],
  ];
  // Every authenticated auth endpoint that takes no body (GET /v1/auth/me once it exists).
  for (const op of await operations(urls.auth)) {
    if (op.secured && op.method === "GET" && !op.path.includes("{")) {
      surfaces.push([`auth ${op.path}`, `${urls.auth}${op.path}`, {}]);
    }
  }
  for (const [what, token] of await badTokens(privateJwk, userId)) {
    for (const [surface, url, init] of surfaces) {
      inputs++;
      const res = await fetch(url, {
        ...init,
        headers: { ...init.headers as Record<string, string>, authorization: `Bearer ${token}` },
      });
      const breach = await httpContractBreach(res.clone());
      const code = res.status === 401 ? (await res.json()).error?.code : undefined;
      if (breach || code !== "UNAUTHENTICATED") {
        violations.push(`${surface} with a token ${what}: ${res.status} ${breach ?? ""}`);
      }
    }
    // A real WebSocket client must not get through either (browsers offer the token this way).
    for (const base of [urls.producer, urls.consumer]) {
      inputs++;
      const socket = new WebSocket(wsUrl(base), { protocols: ["rtm.v1", `bearer.${token}`] });
      const opened = await new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => resolve(false);
      });
      if (opened) {
        socket.close();
        violations.push(`${base} opened a socket for a token ${what}`);
      }
    }
  }
  return { inputs, violations };
}

/** A token that expires in `seconds` closes its open socket with a 4000-range code. */
export async function checkExpiryCloses(
  consumerUrl: string,
  privateJwk: JsonWebKey,
  userId: string,
  seconds = 2,
): Promise<string[]> {
  const { key, kid } = await realKey(privateJwk);
  const token = await signed(key, kid, userId, Math.floor(Date.now() / 1000) + seconds);
  const socket = new WebSocket(wsUrl(consumerUrl), {
    headers: { authorization: `Bearer ${token}` },
  });
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  const timeout = setTimeout(() => socket.close(), (seconds + 15) * 1000);
  const { code, reason } = await closed;
  clearTimeout(timeout);
  return code >= 4000 && code < 5000 && reason
    ? []
    : [`a socket whose token expired was closed with ${code} "${reason}", not a 4000-range code`];
}

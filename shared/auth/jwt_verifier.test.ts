import assert from "node:assert/strict";
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { AppError } from "../errors.ts";
import { JwtVerifier } from "./jwt_verifier.ts";

const ISSUER = "rtm-auth";
const AUDIENCE = "rtm";

async function keyOf(alg: string, kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...await exportJWK(publicKey), kid, alg } as JWK };
}

function claims() {
  return new SignJWT({}).setSubject(crypto.randomUUID()).setIssuer(ISSUER).setAudience(AUDIENCE)
    .setIssuedAt().setExpirationTime("5m").setJti(crypto.randomUUID());
}

const refused = (verifier: JwtVerifier, token: string) =>
  assert.rejects(
    verifier.verify(token),
    (err) => err instanceof AppError && err.code === "UNAUTHENTICATED",
  );

Deno.test("JWT verifier: only EdDSA, even when the key set holds a key of another algorithm", async () => {
  // A key set mid-migration: the current Ed25519 key beside an ES256 one.
  const ed = await keyOf("EdDSA", "ed");
  const es = await keyOf("ES256", "es");
  const verifier = new JwtVerifier(createLocalJWKSet({ keys: [ed.jwk, es.jwk] }), ISSUER, AUDIENCE);

  const good = await claims().setProtectedHeader({ alg: "EdDSA", kid: "ed" }).sign(ed.privateKey);
  assert.ok((await verifier.verify(good)).userId);

  // Validly signed by a key in the set, with an algorithm outside the allow-list.
  await refused(
    verifier,
    await claims().setProtectedHeader({ alg: "ES256", kid: "es" }).sign(es.privateKey),
  );
  // HMAC with the public key's bytes as the secret: the classic algorithm confusion.
  await refused(
    verifier,
    await claims().setProtectedHeader({ alg: "HS256", kid: "ed" })
      .sign(new TextEncoder().encode(JSON.stringify(ed.jwk))),
  );
  // No signature at all.
  const [, payload] = good.split(".");
  const none = base64url.encode(JSON.stringify({ alg: "none", kid: "ed" }));
  await refused(verifier, `${none}.${payload}.`);
});

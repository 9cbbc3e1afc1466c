import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import { dirname } from "node:path";

export const SIGNING_ALGORITHM = "EdDSA";

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The public half, served at /.well-known/jwks.json for local verification elsewhere. */
  jwks: JSONWebKeySet;
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKeys> {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d || !jwk.x) {
    throw new Error("signing key must be an Ed25519 private JWK (kty OKP, crv Ed25519)");
  }
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  const kid = jwk.kid ?? await calculateJwkThumbprint(publicJwk);
  const privateKey = await importJWK({ ...jwk, alg: SIGNING_ALGORITHM }, SIGNING_ALGORITHM);
  return {
    kid,
    privateKey: privateKey as CryptoKey,
    jwks: { keys: [{ ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: "sig" }] },
  };
}

/** Retired public keys, validated, so tokens they signed stay valid until they expire. */
function retiredKeys(json: string | undefined): JWK[] {
  if (!json) return [];
  const { keys } = JSON.parse(json) as JSONWebKeySet;
  return (keys ?? []).map((k) => {
    if (k.kty !== "OKP" || k.crv !== "Ed25519" || !k.x || !k.kid || "d" in k) {
      throw new Error("retired keys must be public Ed25519 JWKs with a kid");
    }
    return { kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: SIGNING_ALGORITHM, use: "sig" };
  });
}

/**
 * The configured key, or one made at first start and kept in `keyFile` (mode 0600) so a restart
 * does not log everybody out. The JWKS also lists `retiredPublicJwks` (rotation: the previous
 * key's tokens verify until they expire).
 */
export async function loadSigningKeys(
  opts: { privateJwk?: string; keyFile: string; retiredPublicJwks?: string },
): Promise<SigningKeys> {
  const current = await loadCurrentKey(opts);
  const retired = retiredKeys(opts.retiredPublicJwks).filter((k) => k.kid !== current.kid);
  return { ...current, jwks: { keys: [...current.jwks.keys, ...retired] } };
}

async function loadCurrentKey(opts: { privateJwk?: string; keyFile: string }): Promise<
  SigningKeys
> {
  if (opts.privateJwk) return fromPrivateJwk(JSON.parse(opts.privateJwk));
  try {
    return await fromPrivateJwk(JSON.parse(await Deno.readTextFile(opts.keyFile)));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  await Deno.mkdir(dirname(opts.keyFile), { recursive: true });
  // createNew: two processes starting at once must not overwrite each other's key.
  try {
    await Deno.writeTextFile(opts.keyFile, JSON.stringify(jwk), { mode: 0o600, createNew: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    return await fromPrivateJwk(JSON.parse(await Deno.readTextFile(opts.keyFile)));
  }
  return fromPrivateJwk(jwk);
}

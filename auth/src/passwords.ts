import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { WorkGate } from "./work_gate.ts";

/** scrypt's cost: memory is 128·N·r bytes per hash, so N and r also size the process. */
export interface ScryptParams {
  n: number;
  r: number;
  p: number;
}

interface Stored {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const KEY_LEN = 32;

/** scrypt (memory-hard) from node:crypto: no native addon to build. */
function derive(password: string, salt: Buffer, { n, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      KEY_LEN,
      // OpenSSL counts a little more than the 128·N·r block: allow twice that, no more.
      { N: n, r, p, maxmem: 2 * 128 * r * (n + p) },
      (err, key) => err ? reject(err) : resolve(key),
    )
  );
}

/** `scrypt$N$r$p$salt$key`: the parameters live with the hash, so they can change later. */
function encode({ params: { n, r, p }, salt, key }: Stored): string {
  return `scrypt$${n}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

function decode(encoded: string): Stored | undefined {
  const [scheme, n, r, p, salt, key] = encoded.split("$");
  if (scheme !== "scrypt" || !key) return undefined;
  return {
    params: { n: +n, r: +r, p: +p },
    salt: Buffer.from(salt, "base64"),
    key: Buffer.from(key, "base64"),
  };
}

export interface Verdict {
  ok: boolean;
  /** The password hashed anew with the current parameters, when the stored hash used others. */
  rehashed?: string;
}

/** Hashes and verifies passwords with the configured scrypt cost, each through the work gate. */
export class PasswordHasher {
  constructor(private readonly params: ScryptParams, private readonly gate: WorkGate) {}

  hash(password: string): Promise<string> {
    return this.gate.run(() => this.fresh(password));
  }

  /**
   * Checks `password` against a stored hash. Without one (an unknown email) it derives a key all
   * the same, at the current cost, so that case takes as long as a wrong password.
   */
  verify(password: string, encoded: string | undefined): Promise<Verdict> {
    return this.gate.run(async () => {
      const stored = encoded === undefined ? undefined : decode(encoded);
      const target = stored ?? { params: this.params, salt: randomBytes(16), key: randomBytes(32) };
      const actual = await derive(password, target.salt, target.params);
      const ok = stored !== undefined && actual.length === stored.key.length &&
        timingSafeEqual(actual, stored.key);
      const { n, r, p } = target.params;
      if (!ok || (n === this.params.n && r === this.params.r && p === this.params.p)) return { ok };
      return { ok, rehashed: await this.fresh(password) };
    });
  }

  private async fresh(password: string): Promise<string> {
    const salt = randomBytes(16);
    return encode({ params: this.params, salt, key: await derive(password, salt, this.params) });
  }
}

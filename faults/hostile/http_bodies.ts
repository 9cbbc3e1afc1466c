import fc from "fast-check";
import { checkProperty } from "./fuzz.ts";
import { HOSTILE_CHANNELS, httpContractBreach } from "./typed_error.ts";

interface Operation {
  method: string;
  path: string;
  /** Whether it asks for a bearer token. */
  secured: boolean;
}

/** Every operation a service documents in its generated OpenAPI. */
export async function operations(baseUrl: string): Promise<Operation[]> {
  const spec = await (await fetch(`${baseUrl}/v1/openapi.json`)).json();
  const ops: Operation[] = [];
  const paths = spec.paths as Record<string, Record<string, { security?: unknown[] }>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (["get", "post", "put", "patch", "delete"].includes(method)) {
        ops.push({ method: method.toUpperCase(), path, secured: (op.security?.length ?? 0) > 0 });
      }
    }
  }
  return ops;
}

const pathValue = fc.oneof(
  fc.constantFrom(...HOSTILE_CHANNELS),
  fc.string(),
  fc.uuid(),
  fc.constant("general"),
);
const queryValue = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.string(),
  fc.constantFrom("-1", "1e400", "NaN", "99999999999999999999999", "0x10", ""),
);
const body = fc.oneof(
  fc.json(),
  fc.string(),
  fc.record({
    email: fc.oneof(fc.emailAddress(), fc.string()),
    password: fc.oneof(fc.string(), fc.jsonValue()),
    refreshToken: fc.oneof(fc.string(), fc.jsonValue()),
    clientMsgId: fc.oneof(fc.uuid(), fc.string(), fc.jsonValue()),
    body: fc.oneof(fc.string(), fc.jsonValue()),
    name: fc.oneof(fc.string(), fc.jsonValue()),
    id: fc.oneof(fc.constantFrom(...HOSTILE_CHANNELS), fc.string()),
    kind: fc.oneof(fc.constantFrom("public", "private", "direct"), fc.string()),
    userId: fc.oneof(fc.uuid(), fc.string()),
    seq: fc.oneof(fc.integer(), fc.jsonValue()),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.constant("x".repeat(200_000)),
);

/**
 * Fuzzes every documented endpoint of a service with hostile path parameters, query strings,
 * bodies and credentials: never a 5xx, always the typed error shape.
 */
export async function fuzzHttp(
  baseUrl: string,
  token: string,
  numRuns: number,
): Promise<{ inputs: number; violations: string[] }> {
  const ops = await operations(baseUrl);
  let inputs = 0;
  const violations: string[] = [];
  for (const op of ops) {
    const request = fc.record({
      params: fc.array(pathValue, { minLength: 4, maxLength: 4 }),
      query: fc.dictionary(fc.constantFrom("after", "before", "limit", "since", "x"), queryValue),
      body,
      auth: fc.constantFrom("valid", "none", "junk"),
      contentType: fc.constantFrom(
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
      ),
    });
    const failure = await checkProperty(request, async (r) => {
      inputs++;
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.params[i++]));
      const url = new URL(`${baseUrl}${path}`);
      for (const [k, v] of Object.entries(r.query)) url.searchParams.set(k, v);
      const headers: Record<string, string> = { "content-type": r.contentType };
      if (r.auth === "valid") headers.authorization = `Bearer ${token}`;
      // Header-safe junk: fetch itself refuses control characters in a header.
      if (r.auth === "junk") headers.authorization = `Bearer ${encodeURIComponent(r.params[0])}`;
      const hasBody = op.method !== "GET" && op.method !== "DELETE";
      const res = await fetch(url, {
        method: op.method,
        headers,
        body: hasBody ? r.body : undefined,
      });
      const breach = await httpContractBreach(res);
      if (breach) throw new Error(`${op.method} ${url.pathname}: ${breach}`);
    }, numRuns);
    if (failure) violations.push(`${op.method} ${baseUrl}${op.path}: ${failure}`);
  }
  return { inputs, violations };
}

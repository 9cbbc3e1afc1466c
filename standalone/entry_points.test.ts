import assert from "node:assert/strict";

/**
 * Each service has one entry, its mod.ts: the single-node process and every service's own main
 * start it through there, never through a service's internals.
 */
const MAINS = [
  "standalone/main.ts",
  "auth/src/main.ts",
  "producer/cmd/main.ts",
  "consumer/cmd/main.ts",
];
const SERVICES = ["auth", "producer", "consumer"];
const ROOT = new URL("../", import.meta.url);

Deno.test("entry points: mains reach a service only through its mod.ts", async () => {
  for (const main of MAINS) {
    const url = new URL(main, ROOT);
    const text = await Deno.readTextFile(url);
    const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => new URL(m[1], url).href);
    const intoServices = imports.filter((i) => SERVICES.some((s) => i.startsWith(`${ROOT}${s}/`)));
    assert.ok(intoServices.length > 0, `${main} starts a service`);
    for (const i of intoServices) {
      assert.ok(
        SERVICES.some((s) => i === `${ROOT}${s}/mod.ts`),
        `${main} imports ${i.slice(ROOT.href.length)}, not a service's mod.ts`,
      );
    }
  }
});

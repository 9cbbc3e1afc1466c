import assert from "node:assert/strict";
import { TEST_PG_ADMIN_URL } from "../shared/testing/infra.ts";

async function migrate(command: string, databaseUrl: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./migrate.ts", import.meta.url).pathname, command],
    env: { DATABASE_URL: databaseUrl, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

Deno.test("migrate:status on a database that does not exist: one clear line, exit 1", async () => {
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/rtm_missing_${crypto.randomUUID().slice(0, 8)}`;
  url.password = "secret";
  const { code, out, err } = await migrate("status", url.toString());
  assert.equal(code, 1);
  assert.equal(out, "");
  assert.match(
    err,
    /^migrate status: .*rtm_missing_\w+: database "rtm_missing_\w+" does not exist\n$/,
  );
  assert.doesNotMatch(err, /secret/);
});

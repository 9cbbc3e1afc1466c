/**
 * API keys for application backends: `deno task apikey:create --name NAME --scopes a,b`,
 * `deno task apikey:list`, `deno task apikey:revoke ID`. Uses DATABASE_URL.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { API_KEY_SCOPES, ApiKeyScope } from "../shared/apikeys/api_key.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { loadOrExit, parseEnv } from "../shared/config/env.ts";
import { connectPostgres } from "../shared/db/postgres.ts";

const USAGE = `usage:
  deno task apikey:create --name NAME --scopes ${API_KEY_SCOPES.join(",")}
  deno task apikey:list
  deno task apikey:revoke ID`;

const CreateArgs = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.string().transform((s) => s.split(",").map((x) => x.trim()))
    .pipe(z.array(ApiKeyScope).min(1)).transform((s) => [...new Set(s)]),
});

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { name: { type: "string" }, scopes: { type: "string" } },
});
const [command, id] = positionals;
const { DATABASE_URL } = loadOrExit(() => parseEnv(z.object({ DATABASE_URL: z.url() })));
const sql = connectPostgres(DATABASE_URL, { max: 1 });
const keys = new PgApiKeys(sql);
try {
  switch (command) {
    case "create": {
      const args = CreateArgs.safeParse(values);
      if (!args.success) fail(args.error.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
      const { key, record } = await keys.create(args.data.name, args.data.scopes);
      console.log(`id:     ${record.id}\nname:   ${record.name}\nscopes: ${record.scopes}`);
      console.log(`key:    ${key}\n\nThe key is shown this once: store it now.`);
      break;
    }
    case "list":
      for (const k of await keys.list()) {
        const state = k.revokedAt ? `revoked ${k.revokedAt}` : "active";
        console.log(`${k.id}  ${k.name}  [${k.scopes}]  created ${k.createdAt}  ${state}`);
      }
      break;
    case "revoke":
      if (!z.uuid().safeParse(id).success) fail("revoke needs the key's id (see apikey:list)");
      if (!await keys.revoke(id)) fail(`no active key ${id}`);
      console.log(`revoked ${id}`);
      break;
    default:
      fail(`unknown command ${command ?? "(none)"}`);
  }
} finally {
  await sql.end({ timeout: 5 });
}

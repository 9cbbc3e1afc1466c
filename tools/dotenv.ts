/**
 * Run before every task that loads `.env` (their `dependencies` in deno.json): creates an empty
 * one when there is none, since Deno warns on every start about a missing `--env-file` and an
 * empty file means the same as none. An existing `.env` is never touched.
 */
const HEADER = "# Settings for the deno tasks, as in .env.example; empty: every default.\n";

try {
  await Deno.writeTextFile(".env", HEADER, { createNew: true });
} catch (err) {
  if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
}

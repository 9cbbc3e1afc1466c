import { dirname } from "node:path";

/**
 * Deno permissions of each service entry point (issue #14: every service ran with `-A`). The one
 * list both the deno.json tasks (checked against it by permissions.test.ts) and the tests'
 * spawner use. Paths are relative to the repository root, the services' working directory.
 *
 * - net: unrestricted: listen ports and the hosts of PostgreSQL, NATS and auth's JWKS are
 *   configuration, known only at start.
 * - env: unrestricted: the process's own environment is its configuration; npm clients
 *   (postgres, nats) read theirs too.
 * - sys: none (prom-client, postgres, nats and grpc-js work without); only the single node's
 *   embedded PostgreSQL asks (the uid, to run as `postgres` when root).
 * - read: node_modules (npm packages read their files), plus per service what it reads at run
 *   time. Code is loaded by Deno, not read by the service. Deno opens /proc only to `-A`, so
 *   prom-client's /proc-based process figures (open fds, RSS from /proc) are left out.
 * - write and run: only where a service writes or starts something.
 */
export type Entry =
  | "auth/src/main.ts"
  | "producer/cmd/main.ts"
  | "consumer/cmd/main.ts"
  | "standalone/main.ts";

export const ENTRIES: Entry[] = [
  "auth/src/main.ts",
  "producer/cmd/main.ts",
  "consumer/cmd/main.ts",
  "standalone/main.ts",
];

/** The deno.json task that starts each entry point. */
export const TASKS: Record<Entry, string> = {
  "auth/src/main.ts": "start:auth",
  "producer/cmd/main.ts": "start:producer",
  "consumer/cmd/main.ts": "start:consumer",
  "standalone/main.ts": "start",
};

const COMMON_READ = ["node_modules"];
/**
 * Producer and consumer also read the server API's proto (gRPC) and NAMESPACES_FILE: the tasks
 * allow ./config for it, the tests' spawner the file the test names.
 */
const serverApiRead = (env: Record<string, string | undefined>) => [
  "auth/proto",
  env.NAMESPACES_FILE || "config",
];

/** The flags for `entry`, with the paths it writes taken from `env` (defaults as in the configs). */
export function permissionFlags(
  entry: Entry,
  env: Record<string, string | undefined> = {},
): string[] {
  const flags = ["--allow-net", "--allow-env"];
  const list = (kind: string, paths: string[]) => `--allow-${kind}=${paths.join(",")}`;
  switch (entry) {
    case "auth/src/main.ts": {
      // Its signing key, made on first start when not given in AUTH_PRIVATE_JWK.
      const keyDir = dirname(env.AUTH_KEY_FILE || "./data/auth/signing-key.json");
      return [
        ...flags,
        list("read", [...COMMON_READ, "migrations", "auth/proto", keyDir]),
        list("write", [keyDir]),
      ];
    }
    case "producer/cmd/main.ts":
      return [...flags, list("read", [...COMMON_READ, ...serverApiRead(env)])];
    case "consumer/cmd/main.ts":
      // The chat page: its files, and `deno bundle` for its script.
      return [
        ...flags,
        list("read", [...COMMON_READ, "migrations", "web", ...serverApiRead(env)]),
        list("run", ["deno"]),
      ];
    case "standalone/main.ts":
      // Everything above in one process, plus the embedded PostgreSQL, which cannot be narrowed:
      // it restores its libraries' symlinks (Deno allows symlink() only to unscoped read and
      // write), checks and opens folders up to the root, writes its password file to the
      // temporary folder and starts its binaries (as root, also shell commands to make the
      // `postgres` user). Named flags still leave out FFI and dynamic imports. For a sandboxed
      // deployment run the three services apart (docs/SECURITY.md).
      return [
        "--allow-net",
        "--allow-env",
        "--allow-sys",
        "--allow-read",
        "--allow-write",
        "--allow-run",
      ];
  }
}

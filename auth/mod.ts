/**
 * The auth service's one entry, used by its own process (src/main.ts) and by the single-node
 * process (standalone/main.ts). Auth keeps its flat layout: the wiring is src/server.ts.
 */
export { type AuthConfig, loadAuthConfig } from "./src/config.ts";
export { type AuthInfra, type RunningAuth, startAuth } from "./src/server.ts";

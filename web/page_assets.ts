/**
 * What a server needs to serve the chat page: the static files of web/app, and its script
 * bundled from TypeScript with `deno bundle` (no Node toolchain). The bundle is built on the first
 * request and kept, so services that never serve the page never pay for it.
 */
const APP_DIR = new URL("./app/", import.meta.url);
const BUNDLE_TIMEOUT_MS = 60_000;

export interface PageAssets {
  html(): Promise<string>;
  css(): Promise<string>;
  /** The page's script and the SDK as one ES module. */
  script(): Promise<string>;
}

export function pageAssets(): PageAssets {
  let bundled: Promise<string> | undefined;
  return {
    html: () => Deno.readTextFile(new URL("index.html", APP_DIR)),
    css: () => Deno.readTextFile(new URL("style.css", APP_DIR)),
    script: () => {
      // One build at a time; a failed build is retried by the next request.
      bundled ??= bundle().catch((err) => {
        bundled = undefined;
        throw err;
      });
      return bundled;
    },
  };
}

async function bundle(): Promise<string> {
  const entry = new URL("main.ts", APP_DIR);
  // `deno` from PATH, by name: the consumer may run exactly that (--allow-run=deno).
  const { success, stdout, stderr } = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--platform", "browser", "--minify", entry.pathname],
    cwd: new URL("../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(BUNDLE_TIMEOUT_MS),
  }).output();
  if (!success) {
    throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr).slice(0, 2000)}`);
  }
  return new TextDecoder().decode(stdout);
}

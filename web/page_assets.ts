/**
 * What a server needs to serve the chat page: the static files of web/app, and its script
 * bundled from TypeScript with `deno bundle` (no Node toolchain). The bundle is built on the first
 * request and kept until its sources change (so an edit under `deno task dev` shows on reload);
 * services that never serve the page never pay for it.
 */
const APP_DIR = new URL("./app/", import.meta.url);
const SDK_DIR = new URL("./sdk/", import.meta.url);
const BUNDLE_TIMEOUT_MS = 60_000;

export interface PageAssets {
  html(): Promise<string>;
  css(): Promise<string>;
  /** The page's script and the SDK as one ES module. */
  script(): Promise<string>;
}

/** The page in `appDir` (web/app; a test passes a page of its own). */
export function pageAssets(appDir: URL = APP_DIR): PageAssets {
  let bundled: { version: string; script: Promise<string> } | undefined;
  return {
    html: () => Deno.readTextFile(new URL("index.html", appDir)),
    css: () => Deno.readTextFile(new URL("style.css", appDir)),
    script: async () => {
      const version = await sourcesVersion([appDir, SDK_DIR]);
      // One build per version of the sources; a failed build is retried by the next request.
      if (bundled?.version !== version) {
        const build = { version, script: bundle(new URL("main.ts", appDir)) };
        bundled = build;
        build.script.catch(() => {
          if (bundled === build) bundled = undefined;
        });
      }
      return bundled.script;
    },
  };
}

/** Every source file with its modification time: changes when one is edited, added or removed. */
async function sourcesVersion(dirs: URL[]): Promise<string> {
  const files: string[] = [];
  for (const dir of dirs) {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const { mtime } = await Deno.stat(new URL(entry.name, dir));
      files.push(`${dir.pathname}${entry.name}@${mtime?.getTime()}`);
    }
  }
  return files.sort().join("\n");
}

async function bundle(entry: URL): Promise<string> {
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

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const SKIP = new Set(["node_modules", ".git", "data", "coverage"]);

async function* markdownFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (SKIP.has(e.name) || e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isDirectory) yield* markdownFiles(path);
    else if (e.name.endsWith(".md")) yield path;
  }
}

Deno.test("docs: every relative link resolves to a file of the repository, none leaves it", async () => {
  const broken: string[] = [];
  for await (const file of markdownFiles(ROOT)) {
    const text = await Deno.readTextFile(file);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      const path = resolve(dirname(file), target.split("#")[0]);
      const where = `${relative(ROOT, file)} → ${target}`;
      if (relative(ROOT, path).startsWith("..")) broken.push(`${where} (outside the repository)`);
      else if (!await Deno.stat(path).then(() => true, () => false)) broken.push(where);
    }
  }
  assert.deepEqual(broken, []);
});

import assert from "node:assert/strict";
import { pageAssets } from "../page_assets.ts";

Deno.test("page assets: the script is bundled once, and again after a source changes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-page-" });
  const appDir = new URL(`file://${dir}/`);
  const main = new URL("main.ts", appDir);
  try {
    await Deno.writeTextFile(main, `document.title = "first";`);
    const assets = pageAssets(appDir);
    const first = await assets.script();
    assert.match(first, /first/);
    assert.equal(await assets.script(), first);

    await Deno.writeTextFile(main, `document.title = "second";`);
    // Some file systems keep whole seconds: make the edit visible whatever the clock's grain.
    await Deno.utime(main, new Date(), new Date(Date.now() + 2_000));
    assert.match(await assets.script(), /second/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

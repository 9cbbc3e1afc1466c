import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import { browserTest } from "../web/test/browser.ts";
import { buildScene, PHONE } from "./screenshots.ts";

browserTest(
  "deno task screenshots: the README's scene still builds, with everything it is meant to show",
  async (system, browser) => {
    const { desktop, phone } = await buildScene(system, browser);
    for (const selector of [".edited", ".tombstone", ".reaction", ".seen"]) {
      assert.equal(await desktop.locator(`#messages ${selector}`).count(), 1, selector);
    }
    assert.equal(await desktop.locator("#channels .badge").count(), 3);
    assert.equal(await desktop.locator("#search-results .result").count(), 1);
    for (const page of [desktop, phone]) {
      assert.match((await page.locator("#typing").textContent()) ?? "", /is typing…$/);
      const overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth");
      assert.equal(overflow, 0, "the page is wider than its window");
    }
    // With a mouse, only the message pointed at shows its toolbar.
    const opacity = (toolbar: Locator) =>
      toolbar.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).opacity);
    const mine = desktop.locator("#messages .message").filter({ has: desktop.locator(".edit") });
    assert.equal(await opacity(mine.filter({ hasText: "Got a minute" }).locator(".actions")), "0");
    assert.equal(await opacity(mine.filter({ hasText: "have a look" }).locator(".actions")), "1");
    // A phone has no hover: its message controls are there to tap, not hidden until pointed at.
    const edit = phone.locator("#messages .edit").first();
    assert.equal(await opacity(phone.locator("#messages .actions").first()), "1");

    // The slide-over channel list: open with the menu, closed by a tap on the conversation beside.
    await phone.click("#menu");
    await phone.locator("#sidebar.open").waitFor();
    await phone.locator("#channels button", { hasText: "@ Ada" }).waitFor();
    await phone.touchscreen.tap(PHONE.width - 20, PHONE.height / 2);
    await phone.locator("#sidebar.open").waitFor({ state: "detached" });
    assert.ok((await edit.boundingBox())!.height >= 32, "a control too small for a finger");
  },
);

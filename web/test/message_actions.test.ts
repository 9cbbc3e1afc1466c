import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserTest, registerThroughPage, send, waitForBody, watchPage } from "./browser.ts";

/** The delivered message on `page` whose text (body or reactions) contains `text`. */
const messageWith = (page: Page, text: string) =>
  page.locator("#messages .message:not(.pending)", { hasText: text });

browserTest(
  "chat page in Chromium: an edit and a delete reach the other window live and after a reload, a reaction counts",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const context = () => browser.newContext({ viewport: { width: 1100, height: 700 } });
    const ada = await (await context()).newPage();
    const bob = await (await context()).newPage();
    const watches = [watchPage(ada), watchPage(bob)];
    await registerThroughPage(ada, url, "Ada");
    await registerThroughPage(bob, url, "Bob");

    await send(ada, "original text");
    await send(ada, "regrettable text");
    await waitForBody(bob, "regrettable text");

    // Bob may react, but neither edit nor delete Ada's messages (#general has no owner).
    assert.equal(await messageWith(bob, "original text").locator(".edit, .delete").count(), 0);

    // Ada edits her first message: Bob sees the new text and the mark, live.
    await messageWith(ada, "original text").locator(".edit").click();
    await ada.fill("#messages .edit-box", "edited text");
    await ada.click("#messages .editor .save");
    await waitForBody(bob, "edited text");
    await messageWith(bob, "edited text").locator(".edited").waitFor();
    assert.equal(await messageWith(bob, "original text").count(), 0);

    // Bob reacts; Ada sees the count, adds hers, and the count is two on both pages.
    await messageWith(bob, "edited text").locator(".react").click();
    await messageWith(ada, "edited text").locator(".reaction", { hasText: "👍 1" }).waitFor();
    await messageWith(ada, "edited text").locator(".reaction").click();
    for (const page of [ada, bob]) {
      await messageWith(page, "edited text").locator(".reaction", { hasText: "👍 2" }).waitFor();
    }

    // Ada deletes her second message: a tombstone on Bob's page, the text gone.
    await messageWith(ada, "regrettable text").locator(".delete").click();
    await bob.locator("#messages .tombstone").waitFor();
    assert.equal(await messageWith(bob, "regrettable text").count(), 0);

    // After a reload, history shows the same current state.
    await bob.reload();
    await bob.locator("#status.online").waitFor();
    await waitForBody(bob, "edited text");
    await messageWith(bob, "edited text").locator(".edited").waitFor();
    await messageWith(bob, "edited text").locator(".reaction", { hasText: "👍 2" }).waitFor();
    assert.equal(await bob.locator("#messages .tombstone").count(), 1);
    assert.equal(await messageWith(bob, "regrettable text").count(), 0);
    assert.equal(await messageWith(bob, "original text").count(), 0);

    // Bob takes his reaction back: one left, on both pages.
    await messageWith(bob, "edited text").locator(".reaction.mine").click();
    for (const page of [ada, bob]) {
      await messageWith(page, "edited text").locator(".reaction", { hasText: "👍 1" }).waitFor();
    }

    assert.deepEqual(watches.flatMap((w) => w.problems), []);
  },
);

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
    // Ada has a mouse; Bob a phone's touch screen (no hover, coarse pointer).
    const ada = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const bob = await (await browser.newContext({
      viewport: { width: 390, height: 760 },
      isMobile: true,
      hasTouch: true,
    })).newPage();
    const watches = [watchPage(ada), watchPage(bob)];
    await registerThroughPage(ada, url, "Ada");
    await registerThroughPage(bob, url, "Bob");

    await send(ada, "original text");
    await send(ada, "regrettable text");
    await waitForBody(bob, "regrettable text");

    // No empty rows: without reactions a message is its meta line and text, and its toolbar
    // floats over its top right, shown only while Ada points at it.
    const first = messageWith(ada, "original text");
    const box = async (locator: ReturnType<Page["locator"]>) => (await locator.boundingBox())!;
    const opacity = () =>
      first.locator(".actions").evaluate((e) =>
        Number(e.ownerDocument.defaultView!.getComputedStyle(e).opacity)
      );
    await ada.mouse.move(0, 0);
    assert.equal(await opacity(), 0, "hidden until pointed at");
    assert.equal(await first.locator(".reactions").count(), 0);
    const before = await box(first);
    assert.ok(
      before.y + before.height - ((await box(first.locator(".body"))).y +
            (await box(first.locator(".body"))).height) < 10,
      "nothing below the text",
    );
    await first.hover();
    assert.equal(await opacity(), 1, "shown on hover");
    assert.deepEqual(await box(first), before, "hovering moves nothing");
    const toolbar = await box(first.locator(".actions"));
    assert.ok(toolbar.x + toolbar.width <= before.x + before.width, "inside the message");
    assert.ok(toolbar.x > before.x + before.width / 2 && toolbar.y < before.y + 10, "top right");

    // On the touch screen the toolbar is always there, finger-sized, beside the meta line.
    const bobs = messageWith(bob, "original text");
    const react = await box(bobs.locator(".react"));
    assert.ok(react.height >= 32, `a ${react.height} px button`);
    assert.ok(react.y + react.height <= (await box(bobs.locator(".body"))).y, "above the text");

    // Bob may react, but neither edit nor delete Ada's messages (#general has no owner).
    assert.equal(await messageWith(bob, "original text").locator(".edit, .delete").count(), 0);

    // Ada edits her first message: Bob sees the new text and the mark, live.
    await messageWith(ada, "original text").locator(".edit").click();
    // While editing, save and cancel are the only controls: nothing floats over them.
    const editing = ada.locator("#messages .message", { has: ada.locator(".editor") });
    assert.equal(await editing.locator(".actions").count(), 0);
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
    // Counts stay in the flow under the text; the toolbar no longer offers +👍.
    const counted = messageWith(ada, "edited text");
    assert.ok(
      (await box(counted.locator(".reactions"))).y >= (await box(counted.locator(".body"))).y +
          (await box(counted.locator(".body"))).height - 1,
    );
    assert.equal(await counted.locator(".react").count(), 0);

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

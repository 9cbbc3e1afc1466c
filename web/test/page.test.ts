import assert from "node:assert/strict";
import {
  bodies,
  browserTest,
  joinChannel,
  openChannel,
  registerThroughPage,
  send,
  userIdOf,
  waitForBody,
  watchPage,
} from "./browser.ts";

const XSS = "<img src=x onerror=alert(1)>";

browserTest(
  "chat page in Chromium: two users chat live, history after reload, text stays text",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const ada = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const bob = await (await browser.newContext({ viewport: { width: 390, height: 760 } }))
      .newPage();
    const adaWatch = watchPage(ada);
    const bobWatch = watchPage(bob);
    await registerThroughPage(ada, url, "Ada");
    await registerThroughPage(bob, url, "Bob");

    // Wait until each page shows its account (name · id).
    await ada.locator("#me", { hasText: "Ada ·" }).waitFor();
    await bob.locator("#me", { hasText: "Bob ·" }).waitFor();
    const [adaId, bobId] = [await userIdOf(ada), await userIdOf(bob)];

    // One sends, the other sees it live.
    await send(ada, "hello from ada");
    await waitForBody(bob, "hello from ada");
    await send(bob, "hi ada, bob here");
    await waitForBody(ada, "hi ada, bob here");

    // Who is online: Ada sees Bob on the channel, by name.
    await ada.locator("#presence", { hasText: "Bob" }).waitFor();
    await bob.locator("#messages .sender", { hasText: "Ada" }).first().waitFor();
    for (const [page, id] of [[ada, bobId], [bob, adaId]] as const) {
      const shown = await page.locator("#chat").textContent();
      assert.ok(!shown?.includes(id.slice(0, 8)), "an id shown where a name belongs");
    }

    // Ada creates a channel, Bob joins it and posts: Ada, elsewhere, gets an unread count.
    await joinChannel(ada, "random");
    await openChannel(ada, "general");
    await joinChannel(bob, "random");
    await send(bob, "anyone here?");
    await ada.locator("#channels button", { hasText: "random" }).locator(".badge", {
      hasText: "1",
    }).waitFor();
    await openChannel(bob, "general");

    // A private channel whose name is taken is an error shown, not a join of the public one.
    await joinChannel(ada, "plaza");
    await openChannel(ada, "general");
    if (await bob.locator("#menu").isVisible()) await bob.click("#menu");
    await bob.fill("#new-channel input[name=id]", "plaza");
    await bob.check("#new-channel input[name=private]");
    await bob.click("#new-channel button");
    if (await bob.locator("#menu").isVisible()) await bob.click("#menu");
    await bob.locator("#chat-error", { hasText: "already exists" }).waitFor();
    assert.equal(await bob.locator("#channel-title", { hasText: "general" }).count(), 1);
    assert.equal(await bob.locator("#channels button", { hasText: "plaza" }).count(), 0);

    // Markup typed by a user is shown as the characters typed, and never runs.
    await send(ada, XSS);
    for (const page of [ada, bob]) {
      await waitForBody(page, XSS);
      assert.ok((await bodies(page)).includes(XSS));
      assert.equal(await page.locator("#messages img").count(), 0);
    }

    // A direct message: Ada clicks Bob's name and writes to him alone.
    await ada.locator("#messages .sender", { hasText: "Bob" }).first().click();
    await ada.locator("#channel-title", { hasText: "@ Bob" }).waitFor();
    await send(ada, "psst, just for you");
    await waitForBody(ada, "psst, just for you");
    await openChannel(ada, "general");

    // A long word wraps at phone width instead of widening the page.
    await send(ada, "long".repeat(200));
    await waitForBody(bob, "longlonglong");
    const overflow = await bob.evaluate(
      "document.documentElement.scrollWidth - window.innerWidth",
    );
    assert.ok(
      typeof overflow === "number" && overflow <= 0,
      `page is ${overflow}px wider than the phone screen`,
    );

    // A reload resumes the session from the refresh token and shows the history.
    await bob.reload();
    await bob.locator("#status.online").waitFor();
    assert.equal(await bob.locator("#login").isVisible(), false);
    await waitForBody(bob, "longlonglong");
    // Bob's channel list now has the DM Ada opened, unread.
    await bob.locator("#channels button", { hasText: "@ Ada" }).locator(
      ".badge",
      { hasText: "1" },
    ).waitFor({ state: "attached" });
    assert.deepEqual((await bodies(bob)).slice(0, 3), [
      "hello from ada",
      "hi ada, bob here",
      XSS,
    ]);

    // A refusal is explained in words.
    await send(ada, "x".repeat(17 * 1024));
    await ada.locator("#chat-error", { hasText: "too large" }).waitFor();

    // Bob joining the existing "random": create answers 409, then the page joins it instead.
    const expected = /status of 409 .*\/v1\/channels$/;
    const problems = [...adaWatch.problems, ...bobWatch.problems];
    assert.deepEqual(problems.filter((p) => !expected.test(p)), []);
  },
);

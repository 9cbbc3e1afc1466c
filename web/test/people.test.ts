import assert from "node:assert/strict";
import {
  browserTest,
  openChannel,
  registerThroughPage,
  send,
  waitForBody,
  watchPage,
} from "./browser.ts";

browserTest(
  "chat page in Chromium: people by name — find to DM, a live DM, typing shows and clears, rename",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const ada = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const bob = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const watches = [watchPage(ada), watchPage(bob)];
    const adaEmail = await registerThroughPage(ada, url, "Ada");
    await registerThroughPage(bob, url, "Bob");
    const typing = (page: typeof ada) => page.locator("#typing", { hasText: "is typing…" });

    // Bob finds Ada by a prefix of her name, and by her exact email, and opens a DM.
    await bob.fill("#new-dm input[name=query]", "ad");
    await bob.click("#new-dm button");
    await bob.locator("#people .person", { hasText: "Ada" }).waitFor();
    await bob.fill("#new-dm input[name=query]", adaEmail);
    await bob.click("#new-dm button");
    assert.deepEqual(await bob.locator("#people .person").allTextContents(), ["Ada"]);
    await bob.locator("#people .person", { hasText: "Ada" }).click();
    await bob.locator("#channel-title", { hasText: "@ Ada" }).waitFor();
    await send(bob, "found you by name");
    await waitForBody(bob, "found you by name");
    await openChannel(bob, "general");

    // The DM appears in Ada's list without a reload (a membership event on her socket).
    await openChannel(ada, "@ Bob");
    await waitForBody(ada, "found you by name");
    // A reload opens the channel she was in.
    await ada.reload();
    await ada.locator("#status.online").waitFor();
    await ada.locator("#channel-title", { hasText: "@ Bob" }).waitFor();
    await waitForBody(ada, "found you by name");
    await openChannel(ada, "general");

    // Bob types in #general: Ada sees it by name, and it clears when his message arrives.
    await bob.locator("#composer textarea").pressSequentially("hel");
    await typing(ada).filter({ hasText: "Bob is typing…" }).waitFor();
    await bob.locator("#composer textarea").pressSequentially("lo");
    await bob.press("#composer textarea", "Enter");
    await waitForBody(ada, "hello");
    await typing(ada).waitFor({ state: "hidden" });
    assert.equal(await typing(bob).count(), 0, "one's own typing is not shown");

    // Typing right after a message shows again (at a person's pace: the SDK waits out the
    // server's one-a-second limit), and stopping without a message clears on its own.
    await bob.locator("#composer textarea").pressSequentially("never mind", { delay: 150 });
    await typing(ada).waitFor();
    const shownAt = Date.now();
    await typing(ada).waitFor({ state: "hidden", timeout: 8_000 });
    assert.ok(Date.now() - shownAt >= 3_000, "hidden by its timer, not at once");

    // Ada renames herself; Bob's page shows the new name once it looks her up again.
    await ada.fill("#display-name", "Ada King");
    await ada.click("#profile button");
    await ada.locator("#me", { hasText: "Ada King ·" }).waitFor();
    await send(ada, "new name");
    await bob.reload();
    await bob.locator("#status.online").waitFor();
    await waitForBody(bob, "new name");
    await bob.locator("#messages .sender", { hasText: "Ada King" }).first().waitFor();

    assert.deepEqual(watches.flatMap((w) => w.problems), []);
  },
);

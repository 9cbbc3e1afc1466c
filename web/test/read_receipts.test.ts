import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  browserTest,
  logInThroughPage,
  openChannel,
  registerThroughPage,
  send,
  userIdOf,
  waitForBody,
  watchPage,
} from "./browser.ts";
import { connect } from "../sdk/mod.ts";
import { endpointsOf } from "./support.ts";

const badge = (page: Page, label: string) =>
  page.locator("#channels button", { hasText: label }).locator(".badge");

browserTest(
  "chat page in Chromium: read receipts — unread badges sync across a user's tabs, a DM shows 'Seen' to its sender",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const adaContext = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const ada = await adaContext.newPage();
    const bob = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const adaEmail = await registerThroughPage(ada, url, "Ada");
    // The same user's second tab (sessionStorage is per tab: it logs in on its own).
    const adaTab2 = await adaContext.newPage();
    const watches = [watchPage(ada), watchPage(adaTab2), watchPage(bob)];
    await logInThroughPage(adaTab2, url, adaEmail);
    await registerThroughPage(bob, url, "Bob");

    // Bob opens a DM with Ada and writes; both of Ada's tabs, on #general, count it unread.
    await bob.fill("#new-dm input[name=query]", await userIdOf(ada));
    await bob.click("#new-dm button");
    await bob.locator("#channel-title", { hasText: "@ Ada" }).waitFor();
    await send(bob, "are you there?");
    await waitForBody(bob, "are you there?");
    for (const tab of [ada, adaTab2]) {
      await badge(tab, "@ Bob").filter({ hasText: "1" }).waitFor();
    }
    assert.equal(await bob.locator("#messages .seen").count(), 0, "not seen yet");

    // Ada reads it in one tab: the other tab's badge goes, and Bob sees it was seen.
    await openChannel(ada, "@ Bob");
    await waitForBody(ada, "are you there?");
    await badge(adaTab2, "@ Bob").waitFor({ state: "detached" });
    await adaTab2.locator("#channel-title", { hasText: "# general" }).waitFor();
    await bob.locator("#messages .message", { hasText: "are you there?" }).locator(".seen", {
      hasText: "Seen",
    }).waitFor();
    assert.equal(await ada.locator("#messages .seen").count(), 0, "Bob's reads are not shown yet");

    // A newer message of Bob's is not seen yet: the mark stays on the one Ada read.
    await send(bob, "hello?");
    await waitForBody(ada, "hello?"); // Ada has the DM open: read at once, seen again
    await bob.locator("#messages .message", { hasText: "hello?" }).locator(".seen").waitFor();
    assert.equal(await bob.locator("#messages .seen").count(), 1, "one mark, on the newest read");

    // Seen survives a reload (the channel list carries the peer's marker).
    await bob.reload();
    await bob.locator("#status.online").waitFor();
    await bob.locator("#channel-title", { hasText: "@ Ada" }).waitFor();
    await bob.locator("#messages .message", { hasText: "hello?" }).locator(".seen").waitFor();

    // Edits and reactions are no news: with Ada's tabs elsewhere, Bob edits and reacts, then writes
    // once; the badge says 1, live and from the server after a reload.
    await openChannel(ada, "# general");
    const bobs = (text: string) => bob.locator("#messages .message", { hasText: text });
    await bobs("hello?").locator(".edit").click();
    await bob.fill("#messages .edit-box", "hello, Ada?");
    await bob.click("#messages .editor .save");
    await bobs("hello, Ada?").locator(".edited").waitFor();
    await bobs("are you there?").locator(".react").click();
    await bobs("are you there?").locator(".reaction", { hasText: "👍 1" }).waitFor();
    await send(bob, "third");
    await waitForBody(bob, "third");
    for (const tab of [ada, adaTab2]) {
      await badge(tab, "@ Bob").filter({ hasText: /^1$/ }).waitFor();
    }
    await adaTab2.reload();
    await adaTab2.locator("#status.online").waitFor();
    await badge(adaTab2, "@ Bob").filter({ hasText: /^1$/ }).waitFor();
    assert.equal(await badge(ada, "@ Bob").textContent(), "1", "never counts the events");

    // Ada reads elsewhere up to "third", inside what the reloaded tab was listed with (2 unread up
    // to "fourth"): that tab cannot tell which were read and asks the server, so 1 is left.
    await send(bob, "fourth");
    await waitForBody(bob, "fourth");
    await adaTab2.reload();
    await adaTab2.locator("#status.online").waitFor();
    await badge(adaTab2, "@ Bob").filter({ hasText: /^2$/ }).waitFor();
    const adaElsewhere = await connect({
      ...endpointsOf(system),
      credentials: { email: adaEmail, password: "correct horse battery" },
    });
    try {
      const dm = (await adaElsewhere.channels()).find((c) => c.kind === "direct")!.id;
      const page = await adaElsewhere.history(dm, { limit: 10 });
      await adaElsewhere.markRead(dm, page.messages.find((m) => m.body === "third")!.seq);
    } finally {
      adaElsewhere.close();
    }
    for (const tab of [ada, adaTab2]) {
      await badge(tab, "@ Bob").filter({ hasText: /^1$/ }).waitFor();
    }

    assert.deepEqual(watches.flatMap((w) => w.problems), []);
  },
);

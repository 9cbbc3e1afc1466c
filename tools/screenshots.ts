/**
 * The README's pictures of the chat page, taken by `deno task screenshots`: starts the system as
 * the tests do, plays a short conversation between three users in Chromium and writes
 * docs/screenshot.png (desktop, Ada's window) and docs/screenshot-phone.png (phone, Bob's).
 */
import type { Browser, Locator, Page } from "playwright-core";
import { type DistributedSystem, startDistributed } from "../shared/testing/system.ts";
import {
  joinChannel,
  launchChromium,
  openChannel,
  registerThroughPage,
  send,
  userIdOf,
  waitForBody,
} from "../web/test/browser.ts";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The two windows a picture is taken of, left showing everything the page can show. */
export interface Scene {
  desktop: Page;
  phone: Page;
}

function message(page: Page, text: string): Locator {
  return page.locator("#messages .message").filter({ hasText: text }).first();
}

/**
 * Ada (desktop) and Bob (phone) in their DM: Ada's message edited, Bob's deleted, a reaction,
 * "Seen", both typing; Ada's list with unread channels, Bob online and Cy last seen a moment ago,
 * and a search whose result she jumped to.
 */
export async function buildScene(system: DistributedSystem, browser: Browser): Promise<Scene> {
  const url = `${system.consumerUrls[0]}/`;
  const open = async (viewport: typeof DESKTOP) =>
    await (await browser.newContext({
      viewport,
      locale: "en-GB",
      // A phone has a touch screen: no hover, coarse pointer.
      isMobile: viewport === PHONE,
      hasTouch: viewport === PHONE,
    })).newPage();
  const [ada, bob, cy] = [await open(DESKTOP), await open(PHONE), await open(DESKTOP)];
  await registerThroughPage(ada, url, "Ada");
  await registerThroughPage(bob, url, "Bob");
  await registerThroughPage(cy, url, "Cy");

  await send(ada, "Morning all! Standup moves to 10:30 today.");
  await waitForBody(bob, "Standup moves");
  await send(bob, "Thanks, I'll bring the deploy notes.");
  await waitForBody(ada, "deploy notes");
  for (const channel of ["release", "design"]) {
    await joinChannel(ada, channel);
    await joinChannel(cy, channel);
  }
  await openChannel(ada, "general");

  // Cy writes where Ada is not looking: unread badges, and a DM from Cy.
  await openChannel(cy, "release");
  await send(cy, "Release branch is cut, tagging v2.4 after lunch.");
  await send(cy, "Changelog draft is in the wiki.");
  await openChannel(cy, "design");
  await send(cy, "New icons are up for review.");
  await cy.fill("#new-dm input[name=query]", await userIdOf(ada));
  await cy.click("#new-dm button");
  await cy.locator("#channel-title", { hasText: "@ Ada" }).waitFor();
  await send(cy, "Thanks for the review!");
  await waitForBody(cy, "Thanks for the review");
  await ada.locator("#channels button", { hasText: "@ Cy" }).waitFor();
  // Cy leaves: Ada's list shows when Cy was last seen.
  await cy.goto("about:blank");

  // The DM: Ada opens it from Bob's name.
  await ada.locator("#messages .sender", { hasText: "Bob" }).first().click();
  await ada.locator("#channel-title", { hasText: "@ Bob" }).waitFor();
  await send(ada, "Got a minute for the release notes?");
  await bob.locator("#channels button", { hasText: "@ Ada" }).waitFor({ state: "attached" });
  await openChannel(bob, "@ Ada");
  await send(bob, "Sure, sending my notes now");
  await send(bob, "oops, wrong window");
  await waitForBody(ada, "wrong window");
  await send(ada, "I've drafted the migration section");
  await waitForBody(bob, "migration section");

  // Ada edits hers, Bob deletes his and reacts to hers.
  await message(ada, "migration section").locator(".edit").click();
  await ada.fill("#messages .edit-box", "I've drafted the migration section, have a look");
  await ada.click("#messages .editor .save");
  await bob.locator("#messages .message", { hasText: "have a look" }).locator(".edited")
    .waitFor();
  await message(bob, "wrong window").locator(".delete").click();
  await ada.locator("#messages .tombstone").waitFor();
  await message(bob, "have a look").locator(".react").click();
  await ada.locator("#messages .reaction", { hasText: "1" }).waitFor();
  await ada.locator("#messages .seen").waitFor();

  // Ada searches, and jumps to what she found.
  await ada.fill("#search input[name=query]", "deploy");
  await ada.click("#search button");
  await ada.locator("#search-results .result").first().click();
  await ada.locator("#messages .message.found").waitFor();
  await ada.locator("#channels button", { hasText: "@ Bob" }).click();
  await ada.locator("#channel-title", { hasText: "@ Bob" }).waitFor();

  // Both start typing, at a person's pace (the SDK's next signal after a message waits out the
  // server's one-a-second limit): each sees the other at it.
  await ada.locator("#channels button", { hasText: "@ Cy" }).locator(".last-seen").waitFor();
  await ada.locator("#channels button", { hasText: "@ Bob" }).locator(".dot.online").waitFor();
  await bob.locator("#composer textarea").pressSequentially("Looks good, one question", {
    delay: 60,
  });
  await ada.locator("#composer textarea").pressSequentially("Great, I'll merge it", { delay: 80 });
  await ada.locator("#typing", { hasText: "is typing" }).waitFor();
  await bob.locator("#typing", { hasText: "is typing" }).waitFor();
  // Ada points at her message: its controls show.
  await message(ada, "have a look").hover();
  return { desktop: ada, phone: bob };
}

if (import.meta.main) {
  const system = await startDistributed();
  const browser = await launchChromium();
  try {
    const { desktop, phone } = await buildScene(system, browser);
    await desktop.screenshot({ path: "docs/screenshot.png" });
    await phone.screenshot({ path: "docs/screenshot-phone.png" });
    console.log("wrote docs/screenshot.png and docs/screenshot-phone.png");
  } finally {
    await browser.close();
    await system.stop();
  }
}

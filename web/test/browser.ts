import { type Browser, chromium, type Page } from "playwright-core";
import { type DistributedSystem, startDistributed } from "../../shared/testing/system.ts";

/** Debian's Chromium (apt-get install chromium); the tests never download a browser. */
export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A Chromium test against a fresh distributed system; both are stopped afterwards. */
export function browserTest(
  name: string,
  fn: (system: DistributedSystem, browser: Browser) => Promise<void>,
): void {
  Deno.test({
    name,
    // Playwright keeps its own pipes and timers to the browser process between steps.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const system = await startDistributed();
      const browser = await launchChromium();
      try {
        await fn(system, browser);
      } finally {
        await browser.close();
        await system.stop();
      }
    },
  });
}

/** Fails the test on any script error or alert the page raises (an injected handler would). */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()} ${msg.location().url}`);
  });
  return { problems };
}

/** Registers a fresh account through the page's form and waits until the chat is online. */
export async function registerThroughPage(page: Page, url: string, name: string): Promise<string> {
  const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  await page.goto(url);
  await page.fill("#login-form input[name=email]", email);
  await page.fill("#login-form input[name=password]", "correct horse battery");
  await page.fill("#login-form input[name=displayName]", name);
  await page.click("#login-form button[value=register]");
  await page.waitForSelector("#status.online");
  return email;
}

/** Logs an existing account in through the page's form, as a second tab of the same user does. */
export async function logInThroughPage(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url);
  await page.fill("#login-form input[name=email]", email);
  await page.fill("#login-form input[name=password]", "correct horse battery");
  await page.click("#login-form button[value=login]");
  await page.waitForSelector("#status.online");
}

export async function send(page: Page, text: string): Promise<void> {
  await page.fill("#composer textarea", text);
  await page.press("#composer textarea", "Enter");
}

/** The bodies of the messages the page shows, as text. */
export function bodies(page: Page): Promise<string[]> {
  return page.locator("#messages .message:not(.pending) .body").allTextContents();
}

/** Waits until a delivered message containing `text` is on the page. */
export async function waitForBody(page: Page, text: string): Promise<void> {
  await page.locator("#messages .message:not(.pending) .body").filter({ hasText: text }).first()
    .waitFor();
}

/** The signed-in user's id, as the page shows it ("name · id"). */
export async function userIdOf(page: Page): Promise<string> {
  return (await page.locator("#me").textContent())!.split(" · ").at(-1)!.trim();
}

/** Opens a channel from the list (through the menu at phone width). */
export async function openChannel(page: Page, label: string): Promise<void> {
  if (await page.locator("#menu").isVisible()) await page.click("#menu");
  await page.locator("#channels button", { hasText: label }).click();
  await page.locator("#channel-title", { hasText: label }).waitFor();
}

/** Joins (or creates) a channel with the sidebar form. */
export async function joinChannel(page: Page, name: string): Promise<void> {
  if (await page.locator("#menu").isVisible()) await page.click("#menu");
  await page.fill("#new-channel input[name=id]", name);
  await page.click("#new-channel button");
  await page.locator("#channel-title", { hasText: name }).waitFor();
}

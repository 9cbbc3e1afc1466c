import assert from "node:assert/strict";
import { connect } from "../sdk/mod.ts";
import { browserTest, joinChannel, registerThroughPage, userIdOf, watchPage } from "./browser.ts";
import { endpointsOf } from "./support.ts";

browserTest(
  "chat page in Chromium: a DM partner's dot goes online and offline, a rename shows live, a public channel joined elsewhere is listed at once",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const newPage = async () =>
      await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    const [ada, bob] = [await newPage(), await newPage()];
    const watches = [watchPage(ada), watchPage(bob)];
    await registerThroughPage(ada, url, "Ada");
    const bobEmail = await registerThroughPage(bob, url, "Bob");
    const adaId = await userIdOf(ada);

    // Bob opens a DM with Ada by her id: it appears in Ada's list with Bob online.
    await bob.fill("#new-dm input[name=query]", adaId);
    await bob.click("#new-dm button");
    await bob.locator("#channel-title", { hasText: "@ Ada" }).waitFor();
    const bobInAdas = ada.locator("#channels button", { hasText: "@ Bob" });
    await bobInAdas.locator(".dot.online").waitFor();
    await bob.locator("#channels button", { hasText: "@ Ada" }).locator(".dot.online").waitFor();

    // Bob leaves the page (his tab keeps the session): Ada's dot goes grey, with when he was last
    // seen.
    await bob.goto("about:blank");
    await bobInAdas.locator(".dot:not(.online)").waitFor();
    await bobInAdas.locator(".last-seen", { hasText: /^seen / }).waitFor();
    assert.match(
      (await bobInAdas.locator(".dot").getAttribute("title")) ?? "",
      /^last seen /,
    );

    // He comes back: online again, without Ada reloading.
    await bob.goto(url);
    await bob.locator("#status.online").waitFor();
    await bobInAdas.locator(".dot.online").waitFor();
    assert.equal(await bobInAdas.locator(".last-seen").count(), 0);

    // Bob renames himself: Ada's open page shows the new name, no reload.
    await bob.fill("#display-name", "Robert");
    await bob.click("#profile button");
    await bob.locator("#me", { hasText: "Robert ·" }).waitFor();
    await ada.locator("#channels button", { hasText: "@ Robert" }).waitFor();

    // Bob joins Ada's public channel from another device (the SDK): his open page lists it at
    // once, and so does the page after a reload (GET /v1/channels has it).
    const plaza = `plaza-${crypto.randomUUID().slice(0, 6)}`;
    await joinChannel(ada, plaza);
    const device = await connect({
      ...endpointsOf(system),
      credentials: { email: bobEmail, password: "correct horse battery" },
    });
    try {
      await device.subscribe(plaza, () => {});
      await bob.locator("#channels button", { hasText: `# ${plaza}` }).waitFor();
      await bob.reload();
      await bob.locator("#status.online").waitFor();
      await bob.locator("#channels button", { hasText: `# ${plaza}` }).waitFor();
    } finally {
      device.close();
    }

    assert.deepEqual(watches.flatMap((w) => w.problems), []);
  },
);

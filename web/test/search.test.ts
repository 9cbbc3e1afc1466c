import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { api } from "../../consumer/test/support.ts";
import { bodies, browserTest, logInThroughPage, waitForBody, watchPage } from "./browser.ts";

const FILLERS = 69;

browserTest(
  "chat page in Chromium: search finds a message beyond the loaded page and opens it in context",
  async (system, browser) => {
    const url = `${system.consumerUrls[0]}/`;
    const consumer = system.consumerUrls[0];
    const ada = await registerAndLogin(system.authUrl);
    const channel = "general";
    const publish = async (clientMsgId: string, body: string) => {
      const res = await api(
        system.producerUrl,
        ada.token,
        "POST",
        `/v1/channels/${channel}/messages`,
        {
          clientMsgId,
          body,
        },
      );
      assert.equal(res.status, 202);
    };
    await publish("target", "the purple elephant dances");
    for (let i = 1; i <= FILLERS; i++) await publish(`filler-${i}`, `filler ${i}`);
    await eventually("all stored", async () => {
      const page = await api(consumer, ada.token, "GET", `/v1/channels/${channel}/messages`);
      return page.body?.lastSeq === FILLERS + 1;
    }, { everyMs: 200 });
    // Search covers the channels one is a member of: a public one once joined.
    const join = await api(consumer, ada.token, "POST", `/v1/channels/${channel}/members`, {
      userId: ada.userId,
    });
    assert.equal(join.status, 200);

    const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } }))
      .newPage();
    const watch = watchPage(page);
    await logInThroughPage(page, url, ada.email);
    await waitForBody(page, `filler ${FILLERS}`);
    assert.ok(!(await bodies(page)).includes("the purple elephant dances"), "not loaded at first");

    await page.fill("#search input[name=query]", "Elephant");
    await page.click("#search button");
    const result = page.locator("#search-results .result", { hasText: "purple elephant" });
    await result.waitFor();
    assert.deepEqual(await page.locator("#search-results .result").allTextContents(), [
      "# general · the purple elephant dances",
    ]);
    await result.click();

    // The message is shown, marked, in view, with what came after it.
    const found = page.locator("#messages .message.found");
    await found.filter({ hasText: "the purple elephant dances" }).waitFor();
    await eventually("scrolled into view", () =>
      found.evaluate((item) => {
        const box = item.getBoundingClientRect();
        const view = item.closest("#scroller")!.getBoundingClientRect();
        return box.top >= view.top && box.bottom <= view.bottom;
      }));
    const shown = await bodies(page);
    assert.equal(shown.indexOf("filler 1"), shown.indexOf("the purple elephant dances") + 1);

    // Words nobody wrote find nothing.
    await page.fill("#search input[name=query]", "giraffe");
    await page.click("#search button");
    await page.locator("#search-results .hint", { hasText: "nothing" }).waitFor();

    assert.deepEqual(watch.problems, []);
  },
);

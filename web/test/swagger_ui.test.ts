import assert from "node:assert/strict";
import { browserTest, watchPage } from "./browser.ts";

browserTest(
  "Swagger UI renders on every service with no internet and under its CSP",
  async (system, browser) => {
    const services = {
      auth: system.authUrl,
      producer: system.producerUrl,
      consumer: system.consumerUrls[0],
    };
    for (const [service, base] of Object.entries(services)) {
      const page = await (await browser.newContext()).newPage();
      const watch = watchPage(page);
      // Offline: anything but the service itself (a CDN) is refused and reported.
      const elsewhere: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(`${base}/`)) return route.continue();
        elsewhere.push(url);
        return route.abort();
      });
      const response = await page.goto(`${base}/v1/swagger`);
      assert.match(response!.headers()["content-security-policy"], /script-src 'self'/);
      await page.locator(".opblock").first().waitFor({ timeout: 15_000 });
      const title = await page.locator(".info .title").textContent();
      assert.match(title ?? "", new RegExp(`rtm ${service}`));
      assert.ok((await page.locator(".opblock").count()) > 0, `${service}: operations listed`);
      assert.deepEqual(elsewhere, [], `${service}: requests that left the service`);
      // A CSP violation is a console error, so this also proves the page runs under its CSP.
      assert.deepEqual(watch.problems, [], `${service}: page problems`);
    }
  },
);

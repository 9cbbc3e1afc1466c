import type { OpenAPIHono } from "@hono/zod-openapi";
import type { PageAssets } from "../../../../web/page_assets.ts";
import type { WebEndpoints } from "../../../config/config.ts";

/**
 * The chat page at `/` (its script, stylesheet and the URLs it calls), served by every consumer
 * instance so the system needs no separate web server. The page calls auth and the producer
 * cross-origin.
 */
export function mountWebRoutes(app: OpenAPIHono, assets: PageAssets, web: WebEndpoints): void {
  const endpointsFor = (requestUrl: string) => {
    const page = new URL(requestUrl);
    const onPort = (port: number) => `${page.protocol}//${page.hostname}:${port}`;
    return {
      authUrl: trimSlash(web.authUrl ?? onPort(web.authPort)),
      producerUrl: trimSlash(web.producerUrl ?? onPort(web.producerPort)),
      consumerUrl: page.origin,
    };
  };
  app.get("/", async (c) => {
    const urls = endpointsFor(c.req.url);
    const ws = (u: string) => u.replace(/^http/, "ws");
    // The page's own script only, and connections only to the three services.
    c.header(
      "Content-Security-Policy",
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self' ${ws(urls.consumerUrl)} ${urls.authUrl} ${urls.producerUrl} ${
          ws(urls.producerUrl)
        }`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
    );
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-cache");
    return c.html(await assets.html());
  });
  app.get("/app.js", async (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "no-cache");
    return c.body(await assets.script());
  });
  app.get("/style.css", async (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "no-cache");
    return c.body(await assets.css());
  });
  app.get("/config.json", (c) => {
    c.header("Cache-Control", "no-cache");
    return c.json(endpointsFor(c.req.url));
  });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

import type { OpenAPIHono } from "@hono/zod-openapi";

/**
 * Swagger UI at `/v1/swagger/`, served from the pinned `swagger-ui-dist` package by the service
 * itself: the page needs no CDN (it works offline) and no inline script (it works under a CSP that
 * allows this origin only).
 */
const BASE = "/v1/swagger";

/** The package's files the page loads, with their content types. */
const DIST_FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>API</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${BASE}/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${BASE}/swagger-ui-bundle.js"></script>
    <script src="${BASE}/init.js"></script>
  </body>
</html>
`;

/** A file of its own rather than an inline script, which the CSP refuses. */
const INIT = `window.ui = SwaggerUIBundle({ url: "/v1/openapi.json", dom_id: "#swagger-ui" });\n`;

/**
 * Swagger UI sets element styles from script (allowed by CSSOM) and shows icons from data: URLs in
 * its stylesheet; it fetches the spec and "Try it out" requests from this origin.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The package in the project's node_modules (nodeModulesDir "auto"), named directly: a Node-style
 * resolution would first probe node_modules folders beside this file, which the services' read
 * permission (node_modules only) refuses.
 */
const DIST_DIR = new URL("../../node_modules/swagger-ui-dist/", import.meta.url);

export function mountSwaggerUi(app: OpenAPIHono): void {
  // Read on first request and kept: services whose docs nobody opens never load the 1.5 MB bundle.
  const files = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const read = (name: string) => {
    let file = files.get(name);
    if (!file) {
      file = Deno.readFile(new URL(name, DIST_DIR));
      files.set(name, file);
      file.catch(() => files.delete(name));
    }
    return file;
  };

  app.get(BASE, (c) => c.redirect(`${BASE}/index.html`));
  app.get(`${BASE}/index.html`, (c) => {
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    return c.html(PAGE);
  });
  app.get(`${BASE}/init.js`, (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(INIT);
  });
  for (const [name, type] of Object.entries(DIST_FILES)) {
    app.get(`${BASE}/${name}`, async (c) => {
      c.header("Content-Type", type);
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(await read(name));
    });
  }
}

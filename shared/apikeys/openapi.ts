import type { OpenAPIHono } from "@hono/zod-openapi";

/** The `security` of every server API route: `Authorization: ApiKey <key>`. */
export const apiKeySecurity = [{ apiKey: [] }];

export function registerApiKeyScheme(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`ApiKey <key>`, a key made with `deno task apikey:create`",
  });
}

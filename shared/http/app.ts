import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Registry } from "prom-client";
import { AppError, errorBody, HTTP_STATUS, toAppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import { invalidInput } from "../validation/invalid.ts";
import { corsOriginPolicy } from "./cors.ts";
import { metricsAuth } from "./metrics_auth.ts";
import { mountSwaggerUi } from "./swagger_ui.ts";

/** A named dependency check for `/ready`; resolves true when the dependency answers. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ServiceAppOptions {
  service: string;
  version?: string;
  registry: Registry;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** True once a graceful drain has begun: `/ready` turns 503 so load balancers move away. */
  draining: () => boolean;
  maxBodyBytes?: number;
  /** Browser origins allowed to call cross-origin (see corsOriginPolicy; empty = this machine). */
  corsOrigins?: string[];
  /** Bearer token `/metrics` requires (METRICS_TOKEN); unset, it is open. */
  metricsToken?: string;
}

const CHECK_TIMEOUT_MS = 1_000;

async function runCheck(check: ReadinessCheck): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Hono and the OpenAPI validator raise HTTPException with a 4xx status for a client's mistake (a
 * malformed JSON body is 400, a body that is not application/json is 415): typed errors, not 500s.
 */
function clientMistake(err: Error): AppError | undefined {
  const status = "status" in err ? (err as { status: number }).status : 0;
  if (status < 400 || status >= 500) return undefined;
  if (status === 413) return new AppError("TOO_LARGE", "request body too large");
  if (status === 415) return new AppError("INVALID", "the request body must be application/json");
  return new AppError("INVALID", "malformed request body");
}

/**
 * The HTTP shell every service shares: operational endpoints, generated OpenAPI + Swagger UI, one
 * error shape, a body-size limit, and validation failures answered as INVALID.
 */
export function createServiceApp(opts: ServiceAppOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error);
    },
  });

  app.onError((err, c) => {
    const appErr = err instanceof AppError ? err : clientMistake(err) ?? toAppError(err);
    if (appErr.code === "INTERNAL") {
      opts.logger.error("request failed", { path: c.req.path, err });
    }
    if (appErr.retryAfterSeconds !== undefined) {
      c.header("Retry-After", String(Math.ceil(appErr.retryAfterSeconds)));
    }
    return c.json(errorBody(appErr), HTTP_STATUS[appErr.code]);
  });
  app.notFound((c) => c.json(errorBody(new AppError("NOT_FOUND", "no such route")), 404));

  const allowOrigin = corsOriginPolicy(opts.corsOrigins ?? []);
  app.use(
    "*",
    cors({
      origin: (origin) => allowOrigin(origin),
      allowHeaders: ["authorization", "content-type"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
      exposeHeaders: ["retry-after"],
      maxAge: 600,
    }),
  );
  app.use(
    "*",
    bodyLimit({
      maxSize: opts.maxBodyBytes ?? 64 * 1024,
      onError: () => {
        throw new AppError("TOO_LARGE", "request body too large");
      },
    }),
  );

  app.get("/health", (c) => c.json({ status: "ok", service: opts.service }));
  app.get("/ready", async (c) => {
    const names = Object.keys(opts.readiness);
    const results = await Promise.all(names.map((n) => runCheck(opts.readiness[n])));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? "up" : "down"]));
    const ready = !opts.draining() && results.every(Boolean);
    return c.json(
      { status: ready ? "ready" : "unavailable", draining: opts.draining(), checks },
      ready ? 200 : 503,
    );
  });
  app.get("/metrics", metricsAuth(opts.metricsToken), async (c) => {
    c.header("Content-Type", opts.registry.contentType);
    return c.body(await opts.registry.metrics());
  });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: `rtm ${opts.service}`, version: opts.version ?? "0.1.0" },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  mountSwaggerUi(app);
  return app;
}

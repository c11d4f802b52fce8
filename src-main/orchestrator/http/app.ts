import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { z } from "zod";
import { randomUUID } from "node:crypto";
import type { RouteSpec } from "../../../src-shared/contract/route-spec.js";
import { JSON_MEDIA_TYPE } from "../../../src-shared/contract/route-spec.js";
import { httpStatusForCode } from "../../../src-shared/errors/error-codes.js";
import { errorEnvelope } from "../../../src-shared/errors/error-envelope.js";
import { validationIssues } from "../../../src-shared/common/validation-issues.js";
import type { Authenticator } from "./guards.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { sendError } from "./error-response.js";
import type { Identity, RouteHandler } from "./route-context.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  routes: readonly RouteSpec[];
  handlers: Readonly<Record<string, RouteHandler>>;
  authenticator: Authenticator;
  logger: Logger;
  /** Middleware before routing (host/origin guard). */
  guards: express.RequestHandler[];
  /** Routes served outside the contract (dashboard assets, login), mounted after the API. */
  extra?: (app: express.Express) => void;
  /** Lets a route skip auth at run time (e.g. /metrics when configured public). */
  isPublic?: (route: RouteSpec) => boolean;
}

const ANONYMOUS: Identity = { kind: "anonymous", label: "anonymous" };

/**
 * Builds the HTTP app from a route table: every RouteSpec gets its auth, its params/query/body
 * validated by the spec's own zod schemas, and the handler registered under its operationId.
 * A route without a handler is a startup error, so the contract and the server cannot drift apart.
 */
export function buildApp(opts: AppOptions): express.Express {
  const missing = opts.routes.filter((r) => opts.handlers[r.operationId] === undefined).map((r) => r.operationId);
  if (missing.length > 0) throw new Error(`no handler for routes: ${missing.join(", ")}`);

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  app.use((req, res, next) => {
    const incoming = req.headers["x-correlation-id"];
    const correlationId = typeof incoming === "string" && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.locals.correlationId = correlationId;
    res.setHeader("X-Correlation-Id", correlationId);
    const started = performance.now();
    res.on("finish", () => {
      const entry = { correlation_id: correlationId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) };
      if (res.statusCode >= 500) opts.logger.warn(entry, "request failed");
      else opts.logger.debug(entry, "request");
    });
    next();
  });
  for (const guard of opts.guards) app.use(guard);

  const styleByPath = new Map<string, RouteSpec["errorStyle"]>();
  for (const route of opts.routes) {
    const expressPath = route.path.replace(/\{(\w+)\}/g, ":$1");
    styleByPath.set(expressPath, route.errorStyle);
    const style = route.errorStyle ?? "envelope";
    const handler = opts.handlers[route.operationId] as RouteHandler;
    const jsonSchema = route.body?.content[JSON_MEDIA_TYPE] ?? null;
    const middleware: express.RequestHandler[] = [];
    middleware.push((req, res, next) => {
      try {
        res.locals.identity = route.auth && !(opts.isPublic?.(route) ?? false) ? opts.authenticator.authenticate(req) : ANONYMOUS;
        next();
      } catch (err) {
        next(err);
      }
    });
    if (route.body) middleware.push(jsonBody(route));
    middleware.push(async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = parsePart(route.pathParams ? Object.entries(route.pathParams) : [], req.params as Record<string, string>, "path");
        const query = route.query ? parseWith(route.query, req.query, "query") : {};
        const body = jsonSchema ? parseWith(jsonSchema, req.body, "body") : undefined;
        await handler({ req, res, params: params as Record<string, string>, query: query as Record<string, unknown>, body, identity: res.locals.identity as Identity });
      } catch (err) {
        next(err);
      }
    });
    app[route.method](expressPath, ...middleware, (err: unknown, _req: Request, res: Response, _next: NextFunction) => renderError(err, res, style, opts.logger));
  }

  opts.extra?.(app);

  app.use((req, res) => {
    const known = opts.routes.some((r) => new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(req.path));
    const envelope = known ? errorEnvelope("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${req.path}`) : errorEnvelope("NOT_FOUND", `no route ${req.method} ${req.path}`);
    sendError(res, known ? 405 : 404, envelope, req.path.startsWith("/v1/") ? "openai" : "envelope");
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => renderError(err, res, req.path.startsWith("/v1/") ? "openai" : "envelope", opts.logger));
  return app;
}

function jsonBody(route: RouteSpec): express.RequestHandler {
  const parser = express.json({ limit: BODY_LIMIT_BYTES, strict: false, type: () => true });
  return (req, res, next) => {
    const type = req.headers["content-type"];
    if (req.headers["content-length"] !== "0" && type !== undefined && !type.toLowerCase().startsWith("application/json")) {
      next(new OrchError("UNSUPPORTED_MEDIA_TYPE", `${route.path} takes application/json, not ${type}`));
      return;
    }
    parser(req, res, next);
  };
}

function parsePart(entries: [string, z.ZodType][], values: Record<string, string>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of entries) {
    const result = schema.safeParse(values[name]);
    if (!result.success) throw new OrchError("INVALID_PARAMS", `${where} parameter ${name}: ${result.error.issues[0]?.message ?? "invalid"}`, { details: { issues: [{ path: [name], message: result.error.issues[0]?.message ?? "invalid" }] } });
    out[name] = result.data;
  }
  return out;
}

function parseWith(schema: z.ZodType, value: unknown, where: string): unknown {
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}));
  if (result.success) return result.data;
  const issues = validationIssues(result.error);
  const first = issues[0];
  const at = first && first.path.length > 0 ? `${where}.${first.path.join(".")}` : where;
  throw new OrchError("INVALID_PARAMS", `${at}: ${first?.message ?? "invalid"}`, { details: { issues } });
}

function renderError(err: unknown, res: Response, style: "envelope" | "openai", logger: Logger): void {
  if (err instanceof OrchError) {
    sendError(res, httpStatusForCode(err.code), err.envelope, style);
    return;
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === "entity.too.large") {
    sendError(res, 413, errorEnvelope("PAYLOAD_TOO_LARGE", `request body exceeds ${BODY_LIMIT_BYTES} bytes`), style);
    return;
  }
  if (e.type === "entity.parse.failed") {
    sendError(res, 400, errorEnvelope("MALFORMED_JSON", `request body is not valid JSON: ${e.message ?? ""}`), style);
    return;
  }
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    sendError(res, e.status, errorEnvelope("INVALID_PARAMS", e.message ?? "bad request"), style);
    return;
  }
  logger.error({ err }, "unhandled error in request");
  sendError(res, 500, errorEnvelope("INTERNAL", "internal error; see the orchestrator log"), style);
}

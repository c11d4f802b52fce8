import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { JSON_MEDIA_TYPE, type ErrorStyle, type RouteSpec } from "../src-shared/contract/route-spec.js";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";
import type { Authenticator } from "./authenticator.js";
import { sendError } from "./error-sender.js";
import { renderError } from "./render-error.js";
import { requestBody } from "./request-body.js";
import { requestLogging, type ServerLogger } from "./request-logging.js";
import { parsePart, parsePathParams } from "./request-validation.js";
import { ANONYMOUS, type Identity, type RouteHandler, type RouteHandlers } from "./route-context.js";

export interface AppOptions {
  routes: readonly RouteSpec[];
  handlers: RouteHandlers;
  authenticator: Authenticator;
  logger: ServerLogger;
  /** Names the server in the 500 message ("see the <name> log"). */
  serverName: string;
  /** Middleware before routing (the host/origin guard). */
  guards?: RequestHandler[];
  /** Routes served outside the contract (dashboard assets, login), mounted after the API. */
  extra?: (app: express.Express) => void;
  /** Lets a route skip auth at run time (e.g. /metrics when configured public). */
  isPublic?: (route: RouteSpec) => boolean;
}

/** Off-table paths (404/405) answer in the shape of the surface they fall under, as its routes do. */
function styleForPath(path: string): ErrorStyle {
  if (path.startsWith("/v1/")) return "openai";
  if (path.startsWith("/api/")) return "ollama";
  return "envelope";
}

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
  app.use(requestLogging(opts.logger));
  for (const guard of opts.guards ?? []) app.use(guard);

  for (const route of opts.routes) {
    const style = route.errorStyle ?? "envelope";
    const handler = opts.handlers[route.operationId] as RouteHandler;
    const authenticate: RequestHandler = (req, res, next) => {
      try {
        res.locals.identity = route.auth && !(opts.isPublic?.(route) ?? false) ? opts.authenticator.authenticate(req, res) : ANONYMOUS;
        next();
      } catch (err) {
        next(err);
      }
    };
    const jsonSchema = route.body?.content[JSON_MEDIA_TYPE] ?? null;
    const handle = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const params = parsePathParams(route.pathParams, req.params as Record<string, string>);
        const query = route.query ? (parsePart(route.query, req.query, "query") as Record<string, unknown>) : {};
        const body = jsonSchema ? parsePart(jsonSchema, req.body, "body") : undefined;
        await handler({ req, res, params, query, body, identity: res.locals.identity as Identity });
      } catch (err) {
        next(err);
      }
    };
    const onError = (err: unknown, _req: Request, res: Response, _next: NextFunction): void => renderError(err, res, style, opts.logger, opts.serverName);
    const middleware = route.body ? [authenticate, ...requestBody(route), handle] : [authenticate, handle];
    app[route.method](expressPath(route.path), ...middleware, onError);
  }

  opts.extra?.(app);

  const patterns = opts.routes.map((r) => new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`));
  app.use((req, res) => {
    const known = patterns.some((p) => p.test(req.path));
    const envelope = known ? errorEnvelope("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${req.path}`) : errorEnvelope("NOT_FOUND", `no route ${req.method} ${req.path}`);
    sendError(res, known ? 405 : 404, envelope, styleForPath(req.path));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => renderError(err, res, styleForPath(req.path), opts.logger, opts.serverName));
  return app;
}

/** OpenAPI `{param}` → express `:param`. */
function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

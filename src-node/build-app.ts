import type { RequestListener } from "node:http";
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Scope } from "../src-shared/auth/scopes.js";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";
import type { AuthFailureLimiter } from "./auth-failure-limiter.js";
import type { Authenticator } from "./authenticator.js";
import { bodyDeadline, DEFAULT_BODY_LIMITS, uploadRate, type BodyLimits } from "./body-deadline.js";
import { sendError } from "./error-sender.js";
import { styleForPath, styleForRequest } from "./error-style.js";
import { renderError } from "./render-error.js";
import { refuseUndeclaredBody } from "./undeclared-body.js";
import { hotRouteListener, type HotRoute, type MessageClasses } from "./hot-routes.js";
import { readJsonBody } from "./json-body-reader.js";
import { BODY_LIMIT_BYTES, requestBody } from "./request-body.js";
import { requestLogging, type ServerLogger } from "./request-logging.js";
import { parseBody, parsePart, parsePathParams, refuseUndeclaredQuery } from "./request-validation.js";
import { routeAuth } from "./route-auth.js";
import type { Identity, RouteHandler, RouteHandlers } from "./route-context.js";
import { NOOP_SPAN, type SpanHandle, type Tracing } from "./tracing/tracing.js";
import { traceRequest } from "./tracing/trace-request.js";

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
  /**
   * The scopes that admit a caller to each authenticated route (orchestrator). Resolved for every
   * route at start, so a route without one is a startup error; absent, any valid credential passes.
   */
  requiredScopes?: (route: RouteSpec) => readonly Scope[];
  /** Failed authentications per client address; past the limit they answer 429. */
  authFailures?: AuthFailureLimiter;
  /** Body deadline and upload rate (defaults: 30 s, 64 KiB per 10 s). */
  bodyLimits?: BodyLimits;
  /** Server spans for the routes marked `traced` (absent or disabled: none, at no cost). */
  tracing?: Tracing;
  /**
   * operationIds served on the node:http fast path in front of express (hot-routes.ts): the same
   * middleware and handler, without express's router and body parser. Only `buildListener` uses it.
   */
  hotRoutes?: readonly string[];
  /** Called with the operationId of each request the fast path takes (tests tell the paths apart by it). */
  onHotRoute?: (operationId: string) => void;
  /**
   * Per operationId, a step after auth and before the body is read (on both paths): it may answer (or
   * fail with next(err)) without the body being parsed, e.g. a node's heartbeats past its rate limit.
   */
  beforeBody?: Readonly<Record<string, RequestHandler>>;
}

/**
 * Builds the HTTP app from a route table: every RouteSpec gets its auth, its params/query/body
 * validated by the spec's own zod schemas, and the handler registered under its operationId.
 * A route without a handler is a startup error, so the contract and the server cannot drift apart.
 */
export function buildApp(opts: AppOptions): express.Express {
  return buildServerParts(opts).app;
}

/**
 * The server's request listener: the routes named in `opts.hotRoutes` are answered off the bare
 * node:http request by the very same middleware and handler functions express would run for them
 * (only routing and JSON body reading differ); every other request goes to express unchanged.
 */
export function buildListener(opts: AppOptions): RequestListener & { messageClasses?: MessageClasses } {
  const { app, hot } = buildServerParts(opts);
  return hot.length === 0 ? app : hotRouteListener(app, hot, opts.onHotRoute);
}

/** One route's middleware after the app-level ones, with its error renderer. */
interface RouteChain {
  chain: RequestHandler[];
  onError: ErrorRequestHandler;
}

function buildServerParts(opts: AppOptions): { app: express.Express; hot: HotRoute[] } {
  const missing = opts.routes.filter((r) => opts.handlers[r.operationId] === undefined).map((r) => r.operationId);
  if (missing.length > 0) throw new Error(`no handler for routes: ${missing.join(", ")}`);
  const scopesByRoute = resolveScopes(opts);
  const bodyLimits = opts.bodyLimits ?? DEFAULT_BODY_LIMITS;

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  // Every request passes these first, on either path.
  const appMiddleware: RequestHandler[] = [requestLogging(opts.logger), bodyDeadline(bodyLimits), ...(opts.guards ?? [])];
  for (const mw of appMiddleware) app.use(mw);

  const hotIds = new Set(opts.hotRoutes ?? []);
  const hot: HotRoute[] = [];
  for (const route of opts.routes) {
    const { chain, onError } = routeChain(route, opts, scopesByRoute.get(route), bodyLimits, false);
    app[route.method](expressPath(route.path), ...chain, onError);
    if (!hotIds.has(route.operationId)) continue;
    hotIds.delete(route.operationId);
    const fast = routeChain(route, opts, scopesByRoute.get(route), bodyLimits, true);
    // Errors raised before routing render in the path's style in express: the same style, or the fast path would differ.
    if ((route.errorStyle ?? "envelope") !== styleForPath(route.path)) throw new Error(`hot route ${route.operationId}: its error style differs from its path's`);
    if (route.body !== undefined && route.body.content[JSON_MEDIA_TYPE] === undefined) throw new Error(`hot route ${route.operationId}: only JSON bodies are served on the fast path`);
    hot.push({ operationId: route.operationId, method: route.method.toUpperCase(), path: route.path, hasBody: route.body !== undefined, chain: [...appMiddleware, ...fast.chain], onError: fast.onError });
  }
  if (hotIds.size > 0) throw new Error(`hot routes not in the route table: ${[...hotIds].join(", ")}`);

  opts.extra?.(app);

  const patterns = opts.routes.map((r) => ({ path: new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`), method: r.method.toUpperCase() }));
  app.use((req, res) => {
    const methods = new Set(patterns.filter((p) => p.path.test(req.path)).map((p) => p.method));
    const known = methods.size > 0;
    // A 405 says which methods the path takes (RFC 9110 §15.5.6); express answers HEAD wherever GET is served.
    if (methods.has("GET")) methods.add("HEAD");
    if (known) res.setHeader("Allow", [...methods].join(", "));
    const envelope = known ? errorEnvelope("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${req.path}`) : errorEnvelope("NOT_FOUND", `no route ${req.method} ${req.path}`);
    sendError(res, known ? 405 : 404, envelope, styleForRequest(styleForPath(req.path), req));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => renderError(err, res, styleForRequest(styleForPath(req.path), req), opts.logger, opts.serverName));
  return { app, hot };
}

/**
 * A route's own middleware: span, auth, body, then the handler with params/query/body validated.
 * `fast`: the JSON body is read by readJsonBody (the node:http path) instead of express.json().
 */
function routeChain(route: RouteSpec, opts: AppOptions, requiredScopes: readonly Scope[] | undefined, bodyLimits: BodyLimits, fast: boolean): RouteChain {
  const style = route.errorStyle ?? "envelope";
  const handler = opts.handlers[route.operationId] as RouteHandler;
  const authenticate = routeAuth(route, {
    authenticator: opts.authenticator,
    isPublic: () => opts.isPublic?.(route) ?? false,
    ...(requiredScopes !== undefined ? { requiredScopes } : {}),
    ...(opts.authFailures !== undefined ? { failures: opts.authFailures } : {}),
  });
  const jsonSchema = route.body?.content[JSON_MEDIA_TYPE] ?? null;
  const fastParse = route.body?.fastParse;
  const tracing = route.traced === true && opts.tracing?.enabled === true ? opts.tracing : null;
  const handle = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const params = parsePathParams(route.pathParams, req.params as Record<string, string>);
      const query = route.query ? (parsePart(route.query, req.query, "query", route.path) as Record<string, unknown>) : refuseUndeclaredQuery(route.path, req.query);
      const body = jsonSchema ? parseBody(jsonSchema, fastParse, req.body) : undefined;
      await handler({ req, res, params, query, body, identity: res.locals.identity as Identity, span: (res.locals.span as SpanHandle | undefined) ?? NOOP_SPAN });
    } catch (err) {
      next(err);
    }
  };
  const onError = (err: unknown, req: Request, res: Response, _next: NextFunction): void => renderError(err, res, styleForRequest(style, req), opts.logger, opts.serverName);
  // requestBody's first handler is the Content-Type check (415); the fast path keeps it and swaps express.json().
  const expressBody = requestBody(route);
  const jsonBody = fast && jsonSchema !== null ? [...expressBody.slice(0, 1), readJsonBody(BODY_LIMIT_BYTES)] : expressBody;
  const noBody = refuseUndeclaredBody(route);
  const bodyHandling = route.body === undefined ? (noBody === null ? [] : [noBody]) : jsonSchema === null ? [uploadRate(bodyLimits), ...jsonBody] : jsonBody;
  // The span starts before auth, so refused requests (401/403/413) are traced too.
  const early = opts.beforeBody?.[route.operationId];
  const chain = [...(tracing === null ? [] : [traceRequest(tracing, route)]), authenticate, ...(early === undefined ? [] : [early]), ...bodyHandling, handle];
  return { chain, onError };
}

/** Every authenticated route's scopes, resolved once; all routes without one are named in one startup error. */
function resolveScopes(opts: AppOptions): Map<RouteSpec, readonly Scope[]> {
  const resolved = new Map<RouteSpec, readonly Scope[]>();
  const { requiredScopes } = opts;
  if (requiredScopes === undefined) return resolved;
  const problems: string[] = [];
  for (const route of opts.routes.filter((r) => r.auth)) {
    try {
      resolved.set(route, requiredScopes(route));
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (problems.length > 0) throw new Error(`routes without a resolvable scope:\n${problems.join("\n")}`);
  return resolved;
}

/** OpenAPI `{param}` → express `:param`. */
function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

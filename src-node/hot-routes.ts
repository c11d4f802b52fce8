import { IncomingMessage, ServerResponse, type RequestListener } from "node:http";
import type express from "express";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { jsonBodyReadable } from "./json-body-reader.js";

/** A route served in front of express: the full middleware chain express would run for it. */
export interface HotRoute {
  operationId: string;
  /** Upper-case, as node:http gives it. */
  method: string;
  /** The route's OpenAPI-style template, e.g. /v2/nodes/{id}/heartbeat. */
  path: string;
  hasBody: boolean;
  /** App-level middleware (logging, body deadline, guards), then the route's own (span, auth, body, handler). */
  chain: RequestHandler[];
  onError: ErrorRequestHandler;
}

interface CompiledRoute {
  route: HotRoute;
  /** The path itself when it has no parameters (compared as a string). */
  exact: string | null;
  pattern: RegExp | null;
  paramNames: string[];
}

// A path parameter taken on the fast path: unreserved characters only, so no percent-decoding is
// needed and the value is exactly what express's router would give; anything else goes to express.
const PARAM = "([A-Za-z0-9._~-]+)";

function compile(route: HotRoute): CompiledRoute {
  const paramNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  if (paramNames.length === 0) return { route, exact: route.path, pattern: null, paramNames };
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{\w+\\?\}/g, PARAM);
  return { route, exact: null, pattern: new RegExp(`^${source}$`), paramNames };
}

/**
 * The route and path parameters when the request is one the fast path takes: the route's method, its
 * path in canonical form (a query string is allowed; a trailing slash, other letter case or percent
 * escapes are left to express, which matches those too), and a body readJsonBody reads exactly as
 * express.json() would. Null otherwise.
 */
function matchHot(routes: readonly CompiledRoute[], req: IncomingMessage): { route: HotRoute; params: Record<string, string> } | null {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  for (const c of routes) {
    if (req.method !== c.route.method) continue;
    let params: Record<string, string>;
    if (c.exact !== null) {
      if (path !== c.exact) continue;
      params = {};
    } else {
      const m = (c.pattern as RegExp).exec(path);
      if (m === null) continue;
      params = {};
      c.paramNames.forEach((name, i) => (params[name] = m[i + 1] as string));
    }
    if (c.route.hasBody && !jsonBodyReadable(req.headers["content-type"], req.headers["content-encoding"])) return null;
    return { route: c.route, params };
  }
  return null;
}

/** Runs the chain as express's router would: next() moves on, next(err) renders the error. */
function run(route: HotRoute, req: Request, res: Response): void {
  let index = 0;
  const fail = (err: unknown): void => {
    route.onError(err, req, res, () => undefined);
  };
  const next = ((err?: unknown): void => {
    if (err !== undefined && err !== null) {
      fail(err);
      return;
    }
    const handler = route.chain[index++];
    if (handler === undefined) return;
    try {
      const result = handler(req, res, next) as unknown;
      // Express 5 forwards a rejected promise from a handler to next(err).
      if (result instanceof Promise) result.catch(fail);
    } catch (err2) {
      fail(err2);
    }
  }) as NextFunction;
  next();
}

/**
 * The classes node:http builds each request and response from (createServer's `IncomingMessage`
 * and `ServerResponse` options): node:http's own, with express's prototypes (and the fast res.json)
 * behind them, set once at start.
 */
export interface MessageClasses {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
}

/** A request listener that wants node:http to build its requests and responses from `messageClasses`. */
export type HotListener = RequestListener & { messageClasses: MessageClasses };

/**
 * The orchestrator's hottest routes (admission, heartbeats, completions, the model list) answered off the bare node:http request:
 * the request gets express's request/response prototypes (what express's app.handle does, so
 * res.json, req.path and res.locals behave the same) and runs the route's own middleware chain,
 * skipping express's router and body-parser, which held the admission rate near express's floor
 * (docs/PERFORMANCE.md). Every other request goes to express unchanged.
 *
 * The prototypes come from the message classes the server is created with (`messageClasses`), so
 * each request and response is born with its final shape: swapping the prototype of every object
 * after node:http built it (Object.setPrototypeOf, as express does) changes its hidden class on the
 * hottest path, and the engine's caches for node:http and stream code see more shapes. A server
 * built without the classes still gets the prototypes set here.
 */
export function hotRouteListener(app: express.Express, routes: readonly HotRoute[], onServed?: (operationId: string) => void): HotListener {
  const compiled = routes.map(compile);
  const responsePrototype = fastJsonResponse(app);
  class HotIncomingMessage extends IncomingMessage {}
  class HotServerResponse extends ServerResponse {}
  Object.setPrototypeOf(HotIncomingMessage.prototype, app.request);
  Object.setPrototypeOf(HotServerResponse.prototype, responsePrototype);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const match = matchHot(compiled, req);
    if (match === null) {
      app(req, res);
      return;
    }
    if (!(req instanceof HotIncomingMessage)) Object.setPrototypeOf(req, app.request);
    if (!(res instanceof HotServerResponse)) Object.setPrototypeOf(res, responsePrototype);
    const request = req as Request;
    const response = res as Response;
    request.res = response;
    response.req = request;
    response.locals = Object.create(null) as Response["locals"];
    request.params = match.params;
    request.originalUrl = req.url ?? "";
    onServed?.(match.route.operationId);
    run(match.route, request, response);
  };
  // node:http's typings want the response class generic over its request type; this one is ServerResponse<IncomingMessage>.
  return Object.assign(listener, { messageClasses: { IncomingMessage: HotIncomingMessage, ServerResponse: HotServerResponse as typeof ServerResponse } });
}

/**
 * express's response prototype with a res.json that writes what express's json → send chain writes
 * for the fast path's answers (a JSON object, no Content-Type or Transfer-Encoding set yet, a status
 * with a body, not HEAD): the same body, `Content-Type: application/json; charset=utf-8` and
 * Content-Length, without send's charset parsing, ETag and freshness checks (ETags are off; freshness is
 * moot for POST and for a GET without conditional headers). Anything else, or an app with JSON
 * settings, takes express's own res.json.
 */
function fastJsonResponse(app: express.Express): Response {
  const base = app.response;
  if (app.get("json replacer") !== undefined || app.get("json spaces") !== undefined || app.get("json escape") !== undefined || typeof app.get("etag fn") === "function") return base;
  const expressJson = base.json;
  const proto = Object.create(base) as Response;
  proto.json = function json(this: Response, obj: unknown): Response {
    const status = this.statusCode;
    // A conditional GET may be answered 304 by express's freshness check (If-None-Match: *): express's own res.json.
    const conditional = this.req.method === "GET" && (this.req.headers["if-none-match"] !== undefined || this.req.headers["if-modified-since"] !== undefined);
    if (typeof obj !== "object" || obj === null || conditional || this.req.method === "HEAD" || status === 204 || status === 205 || status === 304 || this.hasHeader("content-type") || this.hasHeader("transfer-encoding")) {
      return expressJson.call(this, obj);
    }
    const body = JSON.stringify(obj) as string | undefined; // undefined from a toJSON that returns nothing
    if (body === undefined) return expressJson.call(this, obj);
    this.setHeader("Content-Type", "application/json; charset=utf-8");
    this.setHeader("Content-Length", String(Buffer.byteLength(body, "utf8")));
    this.end(body, "utf8");
    return this;
  };
  return proto;
}

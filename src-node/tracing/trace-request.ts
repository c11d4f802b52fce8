import type { RequestHandler } from "express";
import type { RouteSpec } from "../../src-shared/contract/route-spec.js";
import type { Tracing } from "./tracing.js";

/**
 * Starts the request's server span, as a child of the caller's W3C `traceparent` when it sent a
 * valid one, and ends it when the response is finished or the client leaves. Named after the route
 * template (`POST /v2/pools/{id}/infer`), never the concrete path, so span names stay few.
 */
export function traceRequest(tracing: Tracing, route: RouteSpec): RequestHandler {
  const name = `${route.method.toUpperCase()} ${route.path}`;
  return (req, res, next) => {
    const inbound = req.headers.traceparent;
    const span = tracing.startSpan(name, {
      kind: "server",
      parent: typeof inbound === "string" ? inbound : undefined,
      attributes: { "http.request.method": route.method.toUpperCase(), "http.route": route.path, "url.path": req.path },
    });
    res.locals.span = span;
    res.once("close", () => {
      span.setAttributes({ "http.response.status_code": res.statusCode });
      // Server spans fail on 5xx only (HTTP semantic conventions); a 4xx is the client's error.
      if (res.statusCode >= 500) span.recordError(String(res.statusCode), `answered ${res.statusCode}`);
      else if (!res.writableFinished) span.setAttributes({ "llorch.client_disconnected": true });
      span.end();
    });
    next();
  };
}

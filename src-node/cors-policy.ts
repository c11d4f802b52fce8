import type { RequestHandler } from "express";
import { originAllowed, type OriginAllowance } from "./allowed-origin.js";

/** Methods the route tables use. */
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";

/** Request headers the API reads (auth, body, idempotency, the Anthropic surface, SSE resume, tracing). */
const ALLOWED_HEADERS = ["authorization", "content-type", "idempotency-key", "x-api-key", "anthropic-version", "anthropic-beta", "last-event-id", "x-request-id", "x-correlation-id", "openai-organization", "openai-project", "traceparent", "tracestate"];

/** The OpenAI and Anthropic SDKs send telemetry headers with these prefixes from a browser too. */
const ALLOWED_HEADER_PREFIXES = ["x-stainless-"];

/** Response headers a browser app needs to read (task id for cancel/resume, back-off, tracing). */
export const EXPOSED_HEADERS = "X-Task-Id, Retry-After, X-Request-Id, Request-Id, X-Correlation-Id";

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = "600";

/** Listed origins, and local web apps when the operator allows them (allowed-origin.ts). */
export type CorsPolicyOptions = OriginAllowance;

/** The headers of a preflight's Access-Control-Request-Headers this policy allows, lower-case. */
function allowedRequestHeaders(requested: string | undefined): string[] {
  const asked = (requested ?? "").split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
  const extra = asked.filter((h) => !ALLOWED_HEADERS.includes(h) && ALLOWED_HEADER_PREFIXES.some((p) => h.startsWith(p)));
  return [...ALLOWED_HEADERS, ...extra];
}

/**
 * CORS for allowed origins (listed, or local apps when opted in), bearer token only: preflights answer 204, other responses (errors too)
 * echo the origin. No Access-Control-Allow-Credentials, and the cookie is dropped from a cross-origin
 * request, so the dashboard session never authorises one (a same-site page on another port would
 * otherwise still send it). Unlisted origins get no CORS headers; the host/origin guard refuses them.
 */
export function corsPolicy(opts: CorsPolicyOptions): RequestHandler {
  return (req, res, next) => {
    // The answer depends on Origin whether or not it is listed, so caches must key on it. With no
    // Vary yet (every request at this point), express's res.vary("Origin") would set exactly this.
    if (res.hasHeader("vary")) res.vary("Origin");
    else res.setHeader("Vary", "Origin");
    const origin = req.headers.origin;
    if (origin === undefined || !originAllowed(origin, opts)) {
      next();
      return;
    }
    delete req.headers.cookie;
    res.setHeader("Access-Control-Allow-Origin", origin);
    const preflightMethod = req.headers["access-control-request-method"];
    if (req.method === "OPTIONS" && typeof preflightMethod === "string") {
      res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
      res.setHeader("Access-Control-Allow-Headers", allowedRequestHeaders(req.headers["access-control-request-headers"]).join(", "));
      res.setHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
      res.status(204).end();
      return;
    }
    res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    next();
  };
}

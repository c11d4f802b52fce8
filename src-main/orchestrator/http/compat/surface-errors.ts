import type { NextFunction, Request, Response } from "express";
import { anthropicError } from "../../../../src-shared/anthropic/anthropic-error.js";
import type { RouteSpec, SurfaceErrorStyle } from "../../../../src-shared/contract/route-spec.js";
import { ErrorEnvelopeSchema, type ErrorEnvelope } from "../../../../src-shared/errors/error-envelope.js";
import { ollamaError } from "../../../../src-shared/ollama/ollama-error.js";

/** An envelope in a surface's error shape. */
export function surfaceErrorBody(style: SurfaceErrorStyle, status: number, envelope: ErrorEnvelope): unknown {
  return style === "anthropic" ? anthropicError(status, envelope.message) : ollamaError(envelope.message);
}

/**
 * Middleware (mounted with the guards, before routing) that gives the Anthropic and Ollama routes
 * their own error shapes: the server layer renders every error of those routes, auth and validation
 * included, as an ErrorEnvelope, and this rewrites such a body on its way out. Remove it once the
 * server layer's error sender takes these styles itself.
 */
export function surfaceErrorShapes(routes: readonly RouteSpec[]): (req: Request, res: Response, next: NextFunction) => void {
  const matchers = routes
    .filter((r): r is RouteSpec & { surfaceErrorStyle: SurfaceErrorStyle } => r.surfaceErrorStyle !== undefined)
    .map((r) => ({ method: r.method.toUpperCase(), pattern: new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`), style: r.surfaceErrorStyle }));
  return (req, res, next) => {
    const style = matchers.find((m) => m.method === req.method && m.pattern.test(req.path))?.style;
    if (style !== undefined) {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const envelope = res.statusCode >= 400 ? ErrorEnvelopeSchema.safeParse(body) : null;
        return json(envelope?.success === true ? surfaceErrorBody(style, res.statusCode, envelope.data) : body);
      };
    }
    next();
  };
}

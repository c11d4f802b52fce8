import type { Request, Response } from "express";

/** Who made a request: a bearer token or dashboard session (by fingerprint), or nobody (open routes). */
export interface Identity {
  kind: "token" | "session" | "anonymous";
  /** `token:<fp6>`, `session:<fp6>` or `anonymous`: what logs and the audit table carry. */
  label: string;
}

export const ANONYMOUS: Identity = { kind: "anonymous", label: "anonymous" };

/**
 * What a route handler receives: the request with params, query and body already validated by the
 * route's schemas. `body` is undefined for routes without a JSON body (a raw-stream route reads `req`).
 */
export interface RouteContext {
  req: Request;
  res: Response;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  identity: Identity;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

/** Handlers keyed by the operationId of their route in the route table. */
export type RouteHandlers = Readonly<Record<string, RouteHandler>>;

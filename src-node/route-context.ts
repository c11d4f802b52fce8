import type { Request, Response } from "express";
import type { Scope } from "../src-shared/auth/scopes.js";
import type { SpanHandle } from "./tracing/tracing.js";

/** Who made a request: a bearer token or dashboard session (by fingerprint), or nobody (open routes). */
export interface Identity {
  kind: "token" | "session" | "anonymous";
  /** `token:<fp6>`, `session:<fp6>` or `anonymous`: what logs and the audit table carry. */
  label: string;
  /** What this credential may do; the server layer checks them against the route's scopes. */
  scopes: readonly Scope[];
  /**
   * A stable name of the credential that survives restarts and rotation of its value where it
   * should (`key:<id>`, `builtin` for configured/generated tokens): what a node is bound to.
   */
  credentialId: string;
}

export const ANONYMOUS: Identity = { kind: "anonymous", label: "anonymous", scopes: [], credentialId: "anonymous" };

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
  /** The request's server span (routes marked `traced`, tracing on); the no-op span otherwise. */
  span: SpanHandle;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

/** Handlers keyed by the operationId of their route in the route table. */
export type RouteHandlers = Readonly<Record<string, RouteHandler>>;

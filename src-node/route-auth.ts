import type { Request, RequestHandler, Response } from "express";
import { scopesAdmit, type Scope } from "../src-shared/auth/scopes.js";
import type { RouteSpec } from "../src-shared/contract/route-spec.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import type { AuthFailureLimiter } from "./auth-failure-limiter.js";
import type { Authenticator } from "./authenticator.js";
import { ANONYMOUS } from "./route-context.js";

export interface RouteAuthOptions {
  authenticator: Authenticator;
  /** The scopes that admit a caller to the route; absent, any valid credential does (the worker). */
  requiredScopes?: readonly Scope[];
  /** Counts failures per client address; past its limit failures answer 429 instead of 401. */
  failures?: AuthFailureLimiter;
  /** Lets a route skip auth at run time (e.g. /metrics when configured public). */
  isPublic: () => boolean;
}

function isAuthFailure(err: unknown): err is OrchError {
  return err instanceof OrchError && (err.code === "MISSING_TOKEN" || err.code === "BAD_TOKEN");
}

/** The client's address as the socket has it; no proxy headers are trusted. */
export function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? "unknown";
}

/** A refused authentication: the connection closes after the answer, and a flood turns into 429s. */
function refusal(req: Request, res: Response, err: OrchError, failures: AuthFailureLimiter | undefined): OrchError {
  res.setHeader("Connection", "close");
  const verdict = failures?.recordFailure(clientAddress(req));
  if (verdict === undefined || !verdict.blocked) return err;
  return new OrchError("AUTH_RATE_LIMITED", "too many failed authentications from this address; wait before trying again", { retry_after_ms: verdict.retryAfterMs });
}

/**
 * Authentication then authorization for one route: the credential first (so a valid one always
 * passes, however many failures its address had), then its scopes against the route's.
 */
export function routeAuth(route: RouteSpec, opts: RouteAuthOptions): RequestHandler {
  return (req, res, next) => {
    if (!route.auth || opts.isPublic()) {
      res.locals.identity = ANONYMOUS;
      next();
      return;
    }
    try {
      const identity = opts.authenticator.authenticate(req, res);
      if (opts.requiredScopes !== undefined && !scopesAdmit(identity.scopes, opts.requiredScopes)) {
        throw new OrchError("FORBIDDEN_SCOPE", `${route.method.toUpperCase()} ${route.path} needs one of the scopes ${opts.requiredScopes.join(", ")}; this credential has ${identity.scopes.join(", ") || "none"}`);
      }
      res.locals.identity = identity;
      next();
    } catch (err) {
      next(isAuthFailure(err) ? refusal(req, res, err, opts.failures) : err);
    }
  };
}

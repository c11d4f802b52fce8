import type { NextFunction, Request, Response } from "express";
import { isLoopbackHost } from "../../../src-shared/config/host-port.js";
import { fp6, parseBearer } from "../auth/bearer.js";
import type { DashboardSessions} from "../auth/dashboard-sessions.js";
import { readCookie, sessionCookieName } from "../auth/dashboard-sessions.js";
import type { TokenSet } from "../auth/token-set.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { Identity } from "./route-context.js";

/** Host part of a Host header (`[::1]:8080` → `::1`, `localhost:8080` → `localhost`). */
export function hostOfHeader(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

/**
 * DNS-rebinding and cross-origin protection. On a loopback bind the Host header must name a
 * loopback host; a browser Origin must be the server's own or explicitly allowed.
 */
export function hostAndOriginGuard(opts: { loopbackBind: boolean; allowedOrigins: () => readonly string[] }) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const host = req.headers.host ?? "";
    if (opts.loopbackBind && !isLoopbackHost(hostOfHeader(host))) {
      next(new OrchError("FORBIDDEN_HOST", `Host "${host}" is not a loopback name; this orchestrator only answers to localhost`));
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}` && !opts.allowedOrigins().includes(origin)) {
      next(new OrchError("FORBIDDEN_ORIGIN", `Origin "${origin}" may not call this API (add it to ORCHD_ALLOWED_ORIGINS)`));
      return;
    }
    next();
  };
}

export interface Authenticator {
  /** Resolves the caller or throws MISSING_TOKEN / BAD_TOKEN. */
  authenticate(req: Request): Identity;
}

export function createAuthenticator(tokens: TokenSet, sessions: DashboardSessions, onFailure: (req: Request, presentedFp6: string | null, code: "MISSING_TOKEN" | "BAD_TOKEN") => void): Authenticator {
  return {
    authenticate(req) {
      const header = req.headers.authorization;
      const token = parseBearer(header);
      if (token !== undefined) {
        const match = tokens.match(token);
        if (match) return { kind: "token", label: `token:${match.fp6}` };
        onFailure(req, fp6(token), "BAD_TOKEN");
        throw new OrchError("BAD_TOKEN", "the bearer token is not valid", { hint: "use LLORCH_API_TOKEN or the token in <data dir>/api-token" });
      }
      const session = readCookie(req.headers.cookie, sessionCookieName(req.socket.localPort ?? 0));
      if (session !== null && sessions.isValid(session)) return { kind: "session", label: `session:${fp6(session)}` };
      const code = header === undefined && session === null ? "MISSING_TOKEN" : "BAD_TOKEN";
      onFailure(req, null, code);
      throw new OrchError(code, code === "MISSING_TOKEN" ? "an Authorization: Bearer token is required" : "the credentials are not valid", {
        hint: "send Authorization: Bearer <token>; on a loopback install the token is in <data dir>/api-token",
      });
    },
  };
}

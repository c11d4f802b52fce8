import type { Request } from "express";
import type { Authenticator } from "../../../src-node/authenticator.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { fp6, parseBearer } from "../auth/bearer.js";
import type { DashboardSessions } from "../auth/dashboard-sessions.js";
import { readCookie, sessionCookieName } from "../auth/dashboard-sessions.js";
import type { TokenSet } from "../auth/token-set.js";

/** The orchestrator's callers: a bearer token (configured, generated or an API key) or a dashboard session cookie. */
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

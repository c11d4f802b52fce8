import type { Request } from "express";
import type { Authenticator } from "../../../src-node/authenticator.js";
import { readCookie } from "../../../src-node/cookie-header.js";
import type { Identity } from "../../../src-node/route-context.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { fp6, parseBearer } from "../auth/bearer.js";
import type { DashboardSessions } from "../auth/dashboard-sessions.js";
import { sessionCookieName } from "../auth/dashboard-sessions.js";
import type { TokenMatch, TokenSet } from "../auth/token-set.js";

/**
 * The name a node is bound to. Configured and generated tokens are one credential (the operator's,
 * rotated through LLORCH_API_TOKENS without orphaning nodes); each API key is its own.
 */
export function credentialIdOf(match: TokenMatch): string {
  return match.keyId === undefined ? "builtin" : `key:${match.keyId}`;
}

export type AuthFailureCode = "MISSING_TOKEN" | "BAD_TOKEN";

/**
 * The orchestrator's callers: a bearer token (configured, generated or an API key, with its scopes)
 * or a dashboard session cookie (admin: it was opened with a login code only an admin can mint).
 */
export function createAuthenticator(tokens: TokenSet, sessions: DashboardSessions, onFailure: (req: Request, presentedFp6: string | null, code: AuthFailureCode) => void): Authenticator {
  return {
    authenticate(req): Identity {
      const header = req.headers.authorization;
      const token = parseBearer(header);
      if (token !== undefined) {
        const match = tokens.match(token);
        if (match) return { kind: "token", label: `token:${match.fp6}`, scopes: match.scopes, credentialId: credentialIdOf(match) };
        onFailure(req, fp6(token), "BAD_TOKEN");
        throw new OrchError("BAD_TOKEN", "the bearer token is not valid", { hint: "use LLORCH_API_TOKEN or the token in <data dir>/api-token" });
      }
      const session = readCookie(req.headers.cookie, sessionCookieName(req.socket.localPort ?? 0));
      if (session !== null && sessions.isValid(session)) return { kind: "session", label: `session:${fp6(session)}`, scopes: ["admin"], credentialId: "session" };
      const cookieSent = req.headers.cookie?.includes(sessionCookieName(req.socket.localPort ?? 0)) === true;
      const code = header === undefined && !cookieSent ? "MISSING_TOKEN" : "BAD_TOKEN";
      onFailure(req, null, code);
      throw new OrchError(code, code === "MISSING_TOKEN" ? "an Authorization: Bearer token is required" : "the credentials are not valid", {
        hint: "send Authorization: Bearer <token>; on a loopback install the token is in <data dir>/api-token",
      });
    },
  };
}

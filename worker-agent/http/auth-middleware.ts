import type { RequestHandler } from "express";
import { parseBearer, TokenVerifier } from "../auth/bearer-token.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import type { Logger } from "../logging/logger.js";
import { sendError } from "./send-error.js";

/** Bearer token on every route it is mounted before; logs show fp6 of a rejected token, never the token. */
export function bearerAuth(expectedToken: string, log: Logger): RequestHandler {
  const verifier = new TokenVerifier(expectedToken);
  return (req, res, next) => {
    const presented = parseBearer(req.get("authorization"));
    if (presented === undefined) {
      log.warn({ event: "auth_failed", reason: "missing", method: req.method, path: req.path }, "request without bearer token");
      res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker"');
      sendError(res, "MISSING_TOKEN", "Authorization: Bearer <token> required", { hint: "use the LLORCH_API_TOKEN the worker was started with" });
      return;
    }
    if (!verifier.matches(presented)) {
      log.warn({ event: "auth_failed", reason: "mismatch", identity: `token:${tokenFingerprint(presented)}`, method: req.method, path: req.path }, "bad bearer token");
      res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
      sendError(res, "BAD_TOKEN", "bearer token is not valid");
      return;
    }
    next();
  };
}

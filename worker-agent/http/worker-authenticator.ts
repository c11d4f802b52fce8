import type { Authenticator } from "../../src-node/authenticator.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import { parseBearer, TokenVerifier } from "../auth/bearer-token.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import type { Logger } from "../logging/logger.js";

/** The worker's one bearer token; logs show fp6 of a rejected token, never the token. */
export function workerAuthenticator(expectedToken: string, log: Logger): Authenticator {
  const verifier = new TokenVerifier(expectedToken);
  const identity = { kind: "token", label: `token:${tokenFingerprint(expectedToken)}` } as const;
  return {
    authenticate(req, res) {
      const presented = parseBearer(req.get("authorization"));
      if (presented === undefined) {
        log.warn({ event: "auth_failed", reason: "missing", method: req.method, path: req.path }, "request without bearer token");
        res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker"');
        throw new OrchError("MISSING_TOKEN", "Authorization: Bearer <token> required", { hint: "use the LLORCH_API_TOKEN the worker was started with" });
      }
      if (!verifier.matches(presented)) {
        log.warn({ event: "auth_failed", reason: "mismatch", identity: `token:${tokenFingerprint(presented)}`, method: req.method, path: req.path }, "bad bearer token");
        res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
        throw new OrchError("BAD_TOKEN", "bearer token is not valid");
      }
      return identity;
    },
  };
}

import type { Authenticator } from "../../src-node/authenticator.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import { parseBearer, TokenVerifier } from "../auth/bearer-token.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import type { Logger } from "../logging/logger.js";
import type { GrantVerifier } from "../staging/grant-verifier.js";

// The one route a staging grant opens: a peer reading a verified model file from this node.
const MODEL_CONTENT_PATH = /^\/v2\/models\/([0-9a-f]{64})\/content$/;

/**
 * The worker's one bearer token; logs show fp6 of a rejected token, never the token. On
 * GET /v2/models/{sha256}/content a staging grant for that model and this node is accepted too.
 */
export function workerAuthenticator(expectedToken: string, log: Logger, grants?: GrantVerifier): Authenticator {
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
      if (verifier.matches(presented)) return identity;
      const content = req.method === "GET" ? MODEL_CONTENT_PATH.exec(req.path) : null;
      if (content?.[1] !== undefined && grants !== undefined && presented.includes(".")) {
        const check = grants.verify(presented, content[1]);
        if (check.ok) return { kind: "token", label: `grant:${check.grant.target_node_id}` };
        log.warn({ event: "auth_failed", reason: check.reason, path: req.path }, "staging grant refused");
        res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
        throw new OrchError("BAD_TOKEN", `staging grant refused: ${check.reason}`);
      }
      log.warn({ event: "auth_failed", reason: "mismatch", identity: `token:${tokenFingerprint(presented)}`, method: req.method, path: req.path }, "bad bearer token");
      res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
      throw new OrchError("BAD_TOKEN", "bearer token is not valid");
    },
  };
}

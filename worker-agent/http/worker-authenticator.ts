import type { Authenticator } from "../../src-node/authenticator.js";
import { LogRateLimiter } from "../../src-node/log-rate-limiter.js";
import { clientAddress } from "../../src-node/route-auth.js";
import type { Identity } from "../../src-node/route-context.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import { parseBearer, TokenVerifier } from "../auth/bearer-token.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import type { Logger } from "../logging/logger.js";
import type { GrantVerifier } from "../staging/grant-verifier.js";

// The one route a staging grant opens: a peer reading a verified model file from this node.
const MODEL_CONTENT_PATH = /^\/v2\/models\/([0-9a-f]{64})\/content$/;

/**
 * The worker's one bearer token (the orchestrator's for this node): full power on this worker. On
 * GET /v2/models/{sha256}/content a staging grant for that model and this node is accepted too.
 * Logs show fp6 of a rejected token, never the token, and only a few lines a minute per client.
 */
export function workerAuthenticator(expectedToken: string, log: Logger, grants?: GrantVerifier): Authenticator {
  const verifier = new TokenVerifier(expectedToken);
  const identity: Identity = { kind: "token", label: `token:${tokenFingerprint(expectedToken)}`, scopes: ["admin"], credentialId: "worker-token" };
  const failureLog = new LogRateLimiter();
  const logFailure = (req: Parameters<Authenticator["authenticate"]>[0], fields: Record<string, unknown>, msg: string) => {
    const client = clientAddress(req);
    const decision = failureLog.decide(`${client}|${String(fields["identity"] ?? fields["reason"])}`);
    if (decision.log) log.warn({ event: "auth_failed", client, method: req.method, path: req.path.slice(0, 200), suppressed_since_last: decision.suppressed, ...fields }, msg);
  };
  return {
    authenticate(req, res) {
      const presented = parseBearer(req.get("authorization"));
      if (presented === undefined) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker"');
        throw new OrchError("MISSING_TOKEN", "Authorization: Bearer <token> required", { hint: "use the LLORCH_API_TOKEN the worker was started with" });
      }
      if (verifier.matches(presented)) return identity;
      const content = req.method === "GET" ? MODEL_CONTENT_PATH.exec(req.path) : null;
      if (content?.[1] !== undefined && grants !== undefined && presented.includes(".")) {
        const check = grants.verify(presented, content[1]);
        if (check.ok) return { kind: "token", label: `grant:${check.grant.target_node_id}`, scopes: ["read"], credentialId: `grant:${check.grant.job_id}` };
        logFailure(req, { reason: check.reason }, "staging grant refused");
        res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
        throw new OrchError("BAD_TOKEN", `staging grant refused: ${check.reason}`);
      }
      logFailure(req, { reason: "mismatch", identity: `token:${tokenFingerprint(presented)}` }, "bad bearer token");
      res.setHeader("WWW-Authenticate", 'Bearer realm="llama-orch-worker", error="invalid_token"');
      throw new OrchError("BAD_TOKEN", "bearer token is not valid");
    },
  };
}

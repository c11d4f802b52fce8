import type { Authenticator } from "../../../src-node/authenticator.js";
import { parseBearer } from "../../../src-shared/auth/parse-bearer.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { CONTROL_PLANE_SOURCE } from "../../../src-shared/staging/staging-job.js";
import { grantAllows } from "../staging/grant-signer.js";

/** The credential id of a store grant: the only `worker` identity GET /v2/models/{sha256}/content serves. */
export const STORE_GRANT_CREDENTIAL = "grant:store";

// The one route a staging grant opens on the orchestrator: a target reading a model of its store.
const STORE_CONTENT_PATH = /^\/v2\/models\/([0-9a-f]{64})\/content$/;

/**
 * Accepts, besides the usual credentials, a staging grant the orchestrator signed for its own store
 * as the source, on GET /v2/models/{sha256}/content and for that model only (as workers do for theirs).
 */
export function withStoreGrants(inner: Authenticator, grantKey: () => string): Authenticator {
  return {
    authenticate(req, res) {
      const sha = req.method === "GET" ? STORE_CONTENT_PATH.exec(req.path)?.[1] : undefined;
      const presented = sha === undefined ? undefined : parseBearer(req.get("authorization"));
      if (sha === undefined || presented === undefined || !presented.includes(".")) return inner.authenticate(req, res);
      if (grantAllows(grantKey(), presented, sha, CONTROL_PLANE_SOURCE, Date.now())) return { kind: "token", label: "grant:store", scopes: ["worker"], credentialId: STORE_GRANT_CREDENTIAL };
      throw new OrchError("BAD_TOKEN", "staging grant refused (wrong model, source or signature, or expired)");
    },
  };
}

import type { Request } from "express";
import type { Authenticator } from "../../../src-node/authenticator.js";
import { JOIN_TOKEN_PREFIX } from "../../../src-shared/auth/join-tokens.js";
import { parseBearer } from "../../../src-shared/auth/parse-bearer.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { fp6 } from "./bearer.js";
import type { JoinTokenStore } from "./join-token-store.js";

/** The one route a join token opens. */
export const JOIN_PATH = "/v2/nodes/join";
/** Identities from a join token carry `join:<token id>` as their credential id. */
export const JOIN_CREDENTIAL_PREFIX = "join:";

const MESSAGES = {
  join_token_unknown: "join token not recognised",
  join_token_used: "join token already used: join tokens are single-use; mint a new one (POST /v2/auth/join-tokens)",
  join_token_expired: "join token expired; mint a new one (POST /v2/auth/join-tokens)",
} as const;

/**
 * A join token is its own credential kind: accepted on POST /v2/nodes/join only (elsewhere it is an
 * unknown bearer token, 401), where it yields a `worker` identity `join:<id>`. A used, expired or
 * unknown join token is 401 BAD_TOKEN with `details.reason`; it counts as a failed authentication.
 */
export function withJoinTokens(inner: Authenticator, store: JoinTokenStore, onFailure: (req: Request, presentedFp6: string) => void): Authenticator {
  return {
    authenticate(req, res) {
      const presented = req.method === "POST" && req.path === JOIN_PATH ? parseBearer(req.get("authorization")) : undefined;
      if (presented === undefined || !presented.startsWith(JOIN_TOKEN_PREFIX)) return inner.authenticate(req, res);
      const found = store.lookup(presented);
      if (found.ok) return { kind: "token", label: `join:${found.row.fp6}`, scopes: ["worker"], credentialId: `${JOIN_CREDENTIAL_PREFIX}${found.row.id}` };
      onFailure(req, fp6(presented));
      throw new OrchError("BAD_TOKEN", MESSAGES[found.reason], { details: { reason: found.reason } });
    },
  };
}

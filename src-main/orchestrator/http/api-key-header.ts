import type { Request } from "express";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { fp6 } from "../auth/bearer.js";
import type { TokenSet } from "../auth/token-set.js";
import { credentialIdOf } from "./orchestrator-authenticator.js";
import type { Authenticator } from "../../../src-node/authenticator.js";

/**
 * Anthropic's clients send their key as `x-api-key`, not as a bearer token: accept it as the same
 * credential. A request carrying Authorization (or neither header) goes to the inner authenticator.
 */
export function withApiKeyHeader(inner: Authenticator, tokens: TokenSet, onFailure: (req: Request, presentedFp6: string) => void): Authenticator {
  return {
    authenticate(req, res) {
      const key = req.headers["x-api-key"];
      if (req.headers.authorization !== undefined || typeof key !== "string" || key === "") return inner.authenticate(req, res);
      const match = tokens.match(key);
      if (match) return { kind: "token", label: `token:${match.fp6}`, scopes: match.scopes, credentialId: credentialIdOf(match) };
      onFailure(req, fp6(key));
      throw new OrchError("BAD_TOKEN", "the x-api-key is not valid", { hint: "use LLORCH_API_TOKEN or the token in <data dir>/api-token" });
    },
  };
}

import type { Scope } from "../../../src-shared/auth/scopes.js";
import { digestsEqual, fp6, tokenDigest } from "./bearer.js";

export type TokenSource = "config" | "generated" | "api-key";

interface AcceptedToken {
  digest: Buffer;
  fp6: string;
  source: TokenSource;
  scopes: readonly Scope[];
  /** API keys created in the dashboard carry their id so revocation can remove them. */
  keyId?: string;
}

export interface TokenMatch {
  fp6: string;
  source: TokenSource;
  scopes: readonly Scope[];
  keyId?: string;
}

/** Configured and generated tokens are the operator's own: full power. */
const BUILTIN_SCOPES: readonly Scope[] = ["admin"];

/**
 * The bearer tokens the orchestrator accepts: configured ones (LLORCH_API_TOKEN(S)), the generated
 * loopback token and API keys created at run time, each with its scopes. Only SHA-256 digests are
 * held; every candidate is compared (no early exit) so the time taken does not depend on which one matched.
 */
export class TokenSet {
  private tokens: AcceptedToken[] = [];

  addToken(token: string, source: TokenSource): void {
    this.tokens.push({ digest: tokenDigest(token), fp6: fp6(token), source, scopes: BUILTIN_SCOPES });
  }

  /** Adds an API key by its stored digest (the key itself is never kept). */
  addDigest(digest: Buffer, keyFp6: string, keyId: string, scopes: readonly Scope[]): void {
    this.tokens.push({ digest, fp6: keyFp6, source: "api-key", keyId, scopes });
  }

  removeKey(keyId: string): void {
    this.tokens = this.tokens.filter((t) => t.keyId !== keyId);
  }

  get size(): number {
    return this.tokens.length;
  }

  match(token: string): TokenMatch | null {
    const digest = tokenDigest(token);
    let found: AcceptedToken | null = null;
    for (const candidate of this.tokens) {
      if (digestsEqual(candidate.digest, digest) && found === null) found = candidate;
    }
    if (found === null) return null;
    const match: TokenMatch = { fp6: found.fp6, source: found.source, scopes: found.scopes };
    return found.keyId === undefined ? match : { ...match, keyId: found.keyId };
  }
}

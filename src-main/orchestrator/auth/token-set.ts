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
 * loopback token and API keys created at run time (one per joined node), each with its scopes. Only
 * SHA-256 digests are held. A presented token is found by its digest in an index (a Map keyed by the
 * digest's bytes), then confirmed with timingSafeEqual: the time taken depends neither on which token
 * matched nor on how many there are. (Comparing against every candidate in turn cost ~50 µs per request
 * at 1,000 node keys, a quarter of a heartbeat's budget; docs/PERFORMANCE.md, sixth pass.) The lookup's
 * own timing could only tell an attacker about the digest of what they sent, which they can compute
 * themselves: nothing about an accepted token.
 */
export class TokenSet {
  /** Digest bytes (as a latin1 string) → the tokens with that digest, in the order they were added. */
  private readonly byDigest = new Map<string, AcceptedToken[]>();
  private count = 0;

  addToken(token: string, source: TokenSource): void {
    this.add({ digest: tokenDigest(token), fp6: fp6(token), source, scopes: BUILTIN_SCOPES });
  }

  /** Adds an API key by its stored digest (the key itself is never kept). */
  addDigest(digest: Buffer, keyFp6: string, keyId: string, scopes: readonly Scope[]): void {
    this.add({ digest, fp6: keyFp6, source: "api-key", keyId, scopes });
  }

  removeKey(keyId: string): void {
    for (const [key, list] of this.byDigest) {
      const kept = list.filter((t) => t.keyId !== keyId);
      if (kept.length === list.length) continue;
      this.count -= list.length - kept.length;
      if (kept.length === 0) this.byDigest.delete(key);
      else this.byDigest.set(key, kept);
    }
  }

  get size(): number {
    return this.count;
  }

  match(token: string): TokenMatch | null {
    const digest = tokenDigest(token);
    const found = this.byDigest.get(digest.toString("latin1"))?.[0];
    if (found === undefined || !digestsEqual(found.digest, digest)) return null;
    const match: TokenMatch = { fp6: found.fp6, source: found.source, scopes: found.scopes };
    return found.keyId === undefined ? match : { ...match, keyId: found.keyId };
  }

  private add(token: AcceptedToken): void {
    const key = token.digest.toString("latin1");
    const list = this.byDigest.get(key);
    if (list === undefined) this.byDigest.set(key, [token]);
    else list.push(token);
    this.count++;
  }
}

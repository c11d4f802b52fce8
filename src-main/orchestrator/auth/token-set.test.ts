import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fp6, tokenDigest } from "./bearer.js";
import { TokenSet } from "./token-set.js";

// The token set indexed by digest (one lookup per request instead of a comparison with every token,
// which grew with every joined node's key): the same answers as before — the matching token's scopes
// and key id, refusal of everything else, revocation that takes effect at once, the first of two
// entries with one digest — with 1,000 node keys as a real fleet has.

const key = (i: number) => `llk_node${i}_${"k".repeat(32)}`;

function fleetSet(n: number): TokenSet {
  const set = new TokenSet();
  set.addToken("operator-token-0123456789abcdef0123", "config");
  for (let i = 0; i < n; i++) set.addDigest(tokenDigest(key(i)), fp6(key(i)), `key-${i}`, ["worker"]);
  return set;
}

describe("TokenSet", () => {
  it("finds each of 1,000 node keys and the operator's token, with their own scopes and ids", () => {
    const set = fleetSet(1000);
    expect(set.size).toBe(1001);
    for (const i of [0, 1, 499, 998, 999]) expect(set.match(key(i))).toEqual({ fp6: fp6(key(i)), source: "api-key", scopes: ["worker"], keyId: `key-${i}` });
    expect(set.match("operator-token-0123456789abcdef0123")).toEqual({ fp6: fp6("operator-token-0123456789abcdef0123"), source: "config", scopes: ["admin"] });
  });

  it("refuses unknown tokens, near misses, the empty token and a digest presented as a token", () => {
    const set = fleetSet(50);
    expect(set.match(key(50))).toBeNull();
    expect(set.match(`${key(3)}x`)).toBeNull();
    expect(set.match(key(3).slice(0, -1))).toBeNull();
    expect(set.match("")).toBeNull();
    expect(set.match(tokenDigest(key(3)).toString("hex"))).toBeNull();
    expect(set.match(tokenDigest(key(3)).toString("latin1"))).toBeNull();
    expect(set.match(randomBytes(24).toString("base64url"))).toBeNull();
  });

  it("revokes a key at once and leaves the others", () => {
    const set = fleetSet(10);
    set.removeKey("key-4");
    expect(set.match(key(4))).toBeNull();
    expect(set.size).toBe(10);
    expect(set.match(key(5))?.keyId).toBe("key-5");
    set.removeKey("key-4");
    set.removeKey("no-such-key");
    expect(set.size).toBe(10);
    // Added again (a key restored from the store): found again.
    set.addDigest(tokenDigest(key(4)), fp6(key(4)), "key-4", ["worker"]);
    expect(set.match(key(4))?.keyId).toBe("key-4");
  });

  it("answers the first entry added when two share a digest, and the other once the first is revoked", () => {
    const set = new TokenSet();
    set.addDigest(tokenDigest("same-token-0123456789abcdef012345"), "aaaaaa", "first", ["inference"]);
    set.addDigest(tokenDigest("same-token-0123456789abcdef012345"), "aaaaaa", "second", ["admin"]);
    expect(set.match("same-token-0123456789abcdef012345")).toMatchObject({ keyId: "first", scopes: ["inference"] });
    set.removeKey("first");
    expect(set.match("same-token-0123456789abcdef012345")).toMatchObject({ keyId: "second", scopes: ["admin"] });
    expect(set.size).toBe(1);
  });
});

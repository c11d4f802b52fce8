import { describe, expect, it } from "vitest";
import { parseBearer, TokenVerifier } from "./bearer-token.js";
import { tokenFingerprint } from "./token-fingerprint.js";

describe("bearer tokens", () => {
  it("parses the header as the spec says (§9.2), the scheme in any letter case as RFC 9110 §11.1 has it (the spec's case-sensitive prefix turned away clients and proxies that write `bearer`)", () => {
    expect(parseBearer("Bearer abc")).toBe("abc");
    expect(parseBearer("  Bearer   abc def  ")).toBe("abc def");
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer("bearer abc")).toBe("abc");
    expect(parseBearer("BEARER\tabc")).toBe("abc");
    expect(parseBearer("Bearerabc")).toBeUndefined();
    expect(parseBearer("Basic abc")).toBeUndefined();
    expect(parseBearer("Bearer ")).toBeUndefined();
    expect(parseBearer("Bearer a\u0001b")).toBeUndefined();
    expect(parseBearer(`Bearer ${"x".repeat(9000)}`)).toBeUndefined();
  });

  it("compares digests: equal tokens match, anything else does not (any length)", () => {
    const verifier = new TokenVerifier("secret-token-0123456789abcdef0123");
    expect(verifier.matches("secret-token-0123456789abcdef0123")).toBe(true);
    for (const other of ["", "s", "secret-token-0123456789abcdef012", "secret-token-0123456789abcdef01234", "Secret-token-0123456789abcdef0123"]) {
      expect(verifier.matches(other)).toBe(false);
    }
  });

  it("fingerprints with the spec's known vector", () => {
    expect(tokenFingerprint("test")).toBe("9f86d0");
    expect(tokenFingerprint("x".repeat(9000))).toHaveLength(6);
  });
});

import { describe, expect, it } from "vitest";
import { CreateApiKeyRequestSchema } from "./api-keys.js";

describe("an API key's name", () => {
  it("is trimmed text of 1 to 100 characters, any script", () => {
    expect(CreateApiKeyRequestSchema.parse({ name: "  Ana's notebook  " }).name).toBe("Ana's notebook");
    expect(CreateApiKeyRequestSchema.parse({ name: "équipe 研究 🚀" }).name).toBe("équipe 研究 🚀");
    expect(CreateApiKeyRequestSchema.safeParse({ name: "   " }).success).toBe(false);
    expect(CreateApiKeyRequestSchema.safeParse({ name: "x".repeat(101) }).success).toBe(false);
  });

  it("refuses control characters that would forge lines in logs and the audit trail", () => {
    for (const name of ["ops\nfp6=000000 admin key created", "a\tb", "red\x1b[31m", "nul\x00", "del\x7f", "c1\x9b31m"]) {
      const parsed = CreateApiKeyRequestSchema.safeParse({ name });
      expect(parsed.success, JSON.stringify(name)).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/no control characters/);
    }
  });
});

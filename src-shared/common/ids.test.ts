import { describe, expect, it } from "vitest";
import { SafeIdSchema, isSafeId } from "./ids.js";

describe("safe ids", () => {
  it("accepts the spec's node and pool ids", () => {
    for (const id of ["node-a", "a-gpu0", "pool-1", "default", "r0", "rack1.host3_x"]) expect(isSafeId(id), id).toBe(true);
  });

  it("rejects ids that would break URLs, file names or labels", () => {
    for (const id of ["", "-a", ".hidden", "..", "a/b", "a b", "a%2F", "é", "x".repeat(129), "a\n"]) {
      expect(isSafeId(id), JSON.stringify(id)).toBe(false);
      expect(SafeIdSchema.safeParse(id).success).toBe(false);
    }
    expect(isSafeId("x".repeat(128))).toBe(true);
  });
});

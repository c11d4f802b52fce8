import { describe, expect, it } from "vitest";
import { autoPoolId } from "./auto-pool-id.js";

describe("auto pool ids", () => {
  it("derives safe, unique ids from model file names", () => {
    const taken = new Set(["tiny"]);
    expect(autoPoolId("Qwen2.5 7B.Q4_K_M.gguf", (id) => taken.has(id))).toBe("Qwen2.5-7B.Q4_K_M");
    expect(autoPoolId("tiny.gguf", (id) => taken.has(id))).toBe("tiny-2");
    expect(autoPoolId("___.gguf", () => false)).toBe("model");
  });
});

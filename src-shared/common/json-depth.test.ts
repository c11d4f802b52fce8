import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "./json-depth.js";

function nested(levels: number): unknown {
  return JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);
}

describe("jsonDepthExceeds", () => {
  it("counts object and array levels", () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({ a: { b: [1] } }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: { b: [1] } }, 2)).toBe(true);
    expect(jsonDepthExceeds({ shallow: 1, deep: [[[[]]]] }, 4)).toBe(true);
  });

  it("measures 200,000 levels without overflowing the stack", () => {
    expect(jsonDepthExceeds(nested(200_000), 64)).toBe(true);
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
  });
});

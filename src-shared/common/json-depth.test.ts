import { describe, expect, it } from "vitest";
import { jsonBodyShapeProblem, jsonDepthExceeds } from "./json-depth.js";

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

describe("jsonBodyShapeProblem", () => {
  it("names an own __proto__ key at any depth (JSON.parse makes one), and too deep a body", () => {
    expect(jsonBodyShapeProblem(JSON.parse('{"a":1,"b":[{"c":2}]}'), 128)).toBeNull();
    expect(jsonBodyShapeProblem(JSON.parse('{"__proto__":{"temperature":-5}}'), 128)).toBe("a __proto__ key is not accepted");
    expect(jsonBodyShapeProblem(JSON.parse('{"messages":[{"role":"user","__proto__":{"x":1}}]}'), 128)).toBe("a __proto__ key is not accepted");
    expect(jsonBodyShapeProblem(JSON.parse('{"constructor":1,"prototype":2}'), 128)).toBeNull();
    expect(jsonBodyShapeProblem(nested(129), 128)).toBe("nested deeper than 128 levels of objects and arrays");
  });
});

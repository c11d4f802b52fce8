import { describe, expect, it } from "vitest";
import { sameJson } from "./same-json.js";

// sameJson must give the verdict of comparing JSON.stringify's texts (what the node-frame diff did), for
// every pair drawn from values that differ in the ways JSON cares about and the ways it does not.
const pool = { pool_id: "p", ready: true, slots_free: 2, model: { sha256: "a".repeat(64), name: "m" }, models_available: ["x", "y"] };
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "",
  "0",
  "null",
  true,
  false,
  [],
  [null],
  [undefined],
  [1, 2],
  [2, 1],
  [[1], { a: 1 }],
  {},
  { a: undefined },
  { a: null },
  { a: 1 },
  { a: 1, b: 2 },
  { b: 2, a: 1 }, // key order: a different text
  { a: 1, b: undefined },
  { a: 1, f: () => 1 },
  { a: { b: [1, { c: "d" }] } },
  { a: { b: [1, { c: "e" }] } },
  new Date(0),
  new Date(1),
  { at: new Date(0) },
  pool,
  { ...pool },
  { ...pool, model: { ...pool.model } },
  { ...pool, model: { sha256: pool.model.sha256, name: "n" } },
  { ...pool, models_available: ["x"] },
  { ...pool, slots_free: 3 },
  { ...pool, last_error: undefined },
  () => 1,
];

describe("sameJson", () => {
  it("agrees with comparing JSON.stringify's texts on every pair", () => {
    let same = 0;
    for (const a of VALUES) {
      for (const b of VALUES) {
        const expected = JSON.stringify(a) === JSON.stringify(b);
        if (expected) same++;
        expect(sameJson(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(expected);
      }
    }
    // Pairs that differ as values but not as text are in the table (so the test can tell a strict
    // comparison from the JSON verdict): more "same" pairs than the diagonal.
    expect(same).toBeGreaterThan(VALUES.length);
  });
});

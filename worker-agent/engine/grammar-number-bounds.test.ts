import { describe, expect, it } from "vitest";
import { boundNumberRules, markSignBoundedIntegers, withSignBoundedIntegers } from "./grammar-number-bounds.js";

// The rules as node-llama-cpp 3.21.1 writes them (GbnfNumber.js).
const GENERATED = [
  'root ::= "{" "\\"a\\"" ":" [ ]? integer-number-rule "," "\\"b\\"" ":" [ ]? fractional-number-rule "}"',
  'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
  'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
].join("\n");

describe("boundNumberRules", () => {
  it("takes the exponent from integers and bounds the fractions' to two digits, leaving the other rules", () => {
    const lines = boundNumberRules(GENERATED).split("\n");
    expect(lines[0]).toBe(GENERATED.split("\n")[0]);
    expect(lines[1]).toBe('integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14})');
    expect(lines[2]).toBe('fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,16})? ([eE] [-+]? [1-9] [0-9]?)?');
  });

  it("leaves a grammar without numbers as it is", () => {
    const text = 'root ::= "\\"" [a-z]* "\\""';
    expect(boundNumberRules(text)).toBe(text);
  });

  it("every number the bounded rules allow is finite, and every integer a safe one", () => {
    const largestInteger = Number(`9${"9".repeat(14)}`);
    expect(Number.isSafeInteger(largestInteger)).toBe(true);
    expect(Number.isFinite(Number(`9${"9".repeat(14)}.${"9".repeat(16)}e99`))).toBe(true);
  });
});

describe("sign-bounded integers", () => {
  it("replaces each one with a marker const, and the marker's rule (as node-llama-cpp writes a const) with digits of that sign", () => {
    const found = new Map<string, string>();
    const schema = { type: "object", properties: { a: { type: "integer", minimum: 0 }, b: { type: "array", items: { type: "integer", minimum: 1 } }, c: { type: "integer", maximum: -1 }, d: { type: "integer" }, e: { enum: [1, 2] } } };
    const marked = markSignBoundedIntegers(schema, "n1", found);
    expect(marked).toEqual({ type: "object", properties: { a: { const: "llorchn1min0" }, b: { type: "array", items: { const: "llorchn1min1" } }, c: { const: "llorchn1maxm1" }, d: { type: "integer" }, e: { enum: [1, 2] } } });
    const gbnf = ['root ::= "{" "\\"a\\"" ":" val0 "," "\\"b\\"" ":" rule0 "," "\\"c\\"" ":" val2 "}"', 'val0 ::= "\\"llorchn1min0\\""', 'rule0 ::= "[" val1 "]"', 'val1 ::= "\\"llorchn1min1\\""', 'val2 ::= "\\"llorchn1maxm1\\""'].join("\n");
    expect(withSignBoundedIntegers(gbnf, found).split("\n").slice(1)).toEqual(['val0 ::= ("0" | [1-9] [0-9]{0,14})', 'rule0 ::= "[" val1 "]"', "val1 ::= [1-9] [0-9]{0,14}", 'val2 ::= "-" [1-9] [0-9]{0,14}']);
  });
});

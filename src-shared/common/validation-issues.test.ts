import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LogitBiasSchema } from "../worker-api/sampling.js";
import { validationIssues } from "./validation-issues.js";

const Body = z.object({ stop: z.union([z.string(), z.array(z.string()).max(16)]).optional() });

describe("validationIssues", () => {
  it("names the reason inside a union when one branch takes the value's type (was a bare 'Invalid input')", () => {
    const result = Body.safeParse({ stop: Array.from({ length: 1000 }, (_, i) => `s${i}`) });
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["stop"], message: "Too big: expected array to have <=16 items" }]);
  });

  it("keeps the full path of an issue inside the matching branch", () => {
    const result = Body.safeParse({ stop: ["a", 3] });
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["stop", 1], message: "Invalid input: expected string, received number" }]);
  });

  it("says what a record's key must be (logit_bias: token ids), not zod's bare 'Invalid key in record'", () => {
    const result = z.object({ logit_bias: LogitBiasSchema }).safeParse({ logit_bias: { "1e2": 5, "50256": 1 } });
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["logit_bias", "1e2"], message: "logit_bias keys are token ids: decimal integers" }]);
  });

  it("lists the types the union takes when none takes the value's", () => {
    const result = Body.safeParse({ stop: 5 });
    if (result.success) throw new Error("accepted");
    const [issue] = validationIssues(result.error);
    expect(issue?.path).toEqual(["stop"]);
    expect(issue?.message).toBe("Invalid input: expected string or array");
  });
});

describe("a missing field", () => {
  it("is named as required with the type it takes, not as 'received undefined'", () => {
    const result = z.object({ max_tokens: z.number().int(), model: z.string() }).safeParse({ model: "m" });
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["max_tokens"], message: "Field required (expected number)" }]);
  });

  it("is named as required when a union takes it, with every branch's expectation", () => {
    const result = z.object({ nodes: z.union([z.literal("all"), z.array(z.string()).min(1)]) }).safeParse({});
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["nodes"], message: 'Field required (expected "all" or array)' }]);
  });

  it("says a coerced query number that is not one is not a number, not 'received NaN'", () => {
    const result = z.object({ limit: z.coerce.number().int() }).safeParse({ limit: "abc" });
    if (result.success) throw new Error("accepted");
    expect(validationIssues(result.error)).toEqual([{ path: ["limit"], message: "Invalid input: expected a number" }]);
  });

  it("gives the reason every list branch of a union shares (an empty prompt list)", () => {
    const prompt = z.union([z.string(), z.array(z.string()).min(1), z.array(z.int()).min(1)]);
    const result = z.object({ prompt }).safeParse({ prompt: [] });
    if (result.success) throw new Error("parsed");
    // Before: "Invalid input".
    expect(validationIssues(result.error)).toEqual([{ path: ["prompt"], message: "Too small: expected array to have >=1 items" }]);
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { queryInteger, queryIntegerJsonSchema } from "./query-integer.js";
import { validationIssues } from "./validation-issues.js";

describe("queryInteger", () => {
  const schema = z.object({ limit: queryInteger(1, 1000).optional() });
  const messages = (limit: unknown) => {
    const result = schema.safeParse({ limit });
    return result.success ? [] : validationIssues(result.error).map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("reads decimal digits within the bounds", () => {
    expect(schema.parse({ limit: "50" })).toEqual({ limit: 50 });
    expect(schema.parse({ limit: "0001" })).toEqual({ limit: 1 });
    expect(schema.parse({})).toEqual({});
  });

  it("refuses what a client did not mean as a number, naming the field", () => {
    // Before: "" read as 0 ("expected number to be >=1"); "1e2", "0x10" and " 5" were accepted as 100, 16 and 5.
    for (const raw of ["", "1e2", "0x10", " 5", "5 ", "-1", "2.5", "abc", "１２"]) expect(messages(raw)).toEqual(["limit: expected a whole number in decimal digits"]);
  });

  it("names the bound a number breaks, and refuses a repeated parameter", () => {
    expect(messages("0")).toEqual(["limit: Too small: expected number to be >=1"]);
    expect(messages("1001")).toEqual(["limit: Too big: expected number to be <=1000"]);
    expect(messages(["1", "2"])).toEqual(["limit: Invalid input: expected string, received array"]);
  });

  it("is documented as an integer with its bounds", () => {
    expect(queryIntegerJsonSchema(queryInteger(1, 366))).toEqual({ type: "integer", minimum: 1, maximum: 366 });
    expect(queryIntegerJsonSchema(z.string())).toBeUndefined();
  });
});

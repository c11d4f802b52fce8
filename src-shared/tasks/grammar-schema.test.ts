import { describe, expect, it } from "vitest";
import { MAX_SCHEMA_JSON_DEPTH, toGrammarSchema } from "./grammar-schema.js";

describe("toGrammarSchema", () => {
  it("keeps what grammars express and turns closed integer ranges into enums", () => {
    const result = toGrammarSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { n: { type: "integer", minimum: 1, exclusiveMaximum: 4 }, tag: { type: ["string", "null"] }, ok: { type: "boolean" }, when: { type: "string", format: "date" } },
      required: ["n"],
    });
    expect(result).toEqual({
      ok: true,
      schema: { type: "object", properties: { n: { enum: [1, 2, 3] }, tag: { type: ["string", "null"] }, ok: { type: "boolean" }, when: { type: "string", format: "date" } }, required: ["n"], additionalProperties: false },
    });
  });

  it("maps anyOf to oneOf and definitions refs to $defs", () => {
    const result = toGrammarSchema({ anyOf: [{ $ref: "#/definitions/a" }, { const: 3 }], definitions: { a: { enum: ["x"] } } });
    expect(result).toEqual({ ok: true, schema: { oneOf: [{ $ref: "#/$defs/a" }, { const: 3 }], $defs: { a: { enum: ["x"] } } } });
  });

  it("is idempotent on its own output", () => {
    const once = toGrammarSchema({ type: "object", properties: { d: { type: "integer", minimum: 0, maximum: 2 } } });
    if (!once.ok) throw new Error("refused");
    expect(toGrammarSchema(once.schema)).toEqual(once);
  });

  it.each([
    [{ type: "string", pattern: "^a" }, "pattern", "s"],
    [{ type: "object", properties: { x: { allOf: [] } } }, "allOf", "s.properties.x"],
    [{ type: "number", minimum: 0 }, "minimum on a number", "s"],
    [{ type: "integer", minimum: 0 }, "minimum without maximum (only closed integer ranges)", "s"],
    [{ type: "integer", minimum: 0, maximum: 5000 }, "an integer range of more than 1024 values", "s"],
    [{ type: "string", format: "email" }, 'format "email" (only date-time, time and date)', "s"],
    [{ properties: {}, items: {} }, "items on a object", "s"],
    [{ description: "anything" }, "a schema without a type (any value)", "s"],
    [{ $ref: "http://x/y" }, '$ref "http://x/y" (only #/$defs/<name> references)', "s"],
  ])("refuses %j naming the feature and its path", (schema, feature, path) => {
    expect(toGrammarSchema(schema, "s")).toEqual({ ok: false, feature, path });
  });

  it("refuses a schema nested deeper than the limit before translating it (3,000 levels overflowed the stack: a 500)", () => {
    const nest = (levels: number): unknown => (levels === 0 ? { type: "string" } : { type: "array", items: nest(levels - 1) });
    expect(toGrammarSchema(nest(3000), "s")).toEqual({ ok: false, feature: `nesting deeper than ${MAX_SCHEMA_JSON_DEPTH} JSON levels`, path: "s" });
    expect(toGrammarSchema(nest(20), "s").ok).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { MAX_GRAMMAR_REPETITIONS, MAX_SCHEMA_JSON_DEPTH, toGrammarSchema, toToolGrammarSchema } from "./grammar-schema.js";

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
    [{ type: "integer", minimum: 2 }, "minimum without maximum (only closed integer ranges, or integers from 0 or 1 up, or from 0 or -1 down)", "s"],
    [{ type: "integer", maximum: 10 }, "maximum without minimum (only closed integer ranges, or integers from 0 or 1 up, or from 0 or -1 down)", "s"],
    [{ type: "integer", minimum: 0, maximum: 5000 }, "an integer range of more than 1024 values", "s"],
    [{ type: "string", format: "email" }, 'format "email" (only date-time, time and date)', "s"],
    [{ properties: {}, items: {} }, "items on a object", "s"],
    [{ description: "anything" }, "a schema without a type (any value)", "s"],
    [{ $ref: "http://x/y" }, '$ref "http://x/y" (only #/$defs/<name> references)', "s"],
    // node-llama-cpp reads a reference to nothing as "any value": a strict schema would constrain nothing there.
    [{ type: "object", properties: { a: { $ref: "#/$defs/missing" } } }, '$ref "#/$defs/missing" (no such definition in the schema)', "s.properties.a"],
    [{ type: "object", properties: { a: { $ref: "#/definitions/b" } }, $defs: { a: { type: "string" } } }, '$ref "#/definitions/b" (no such definition in the schema)', "s.properties.a"],
    [{ $defs: { a: { $ref: "#/$defs/gone" } }, $ref: "#/$defs/a" }, '$ref "#/$defs/gone" (no such definition in the schema)', "s.$defs.a"],
    // llama.cpp's grammar parser refused these ("Failed to parse grammar": a 500) or dropped the bound.
    [{ type: "array", items: { type: "string" }, minItems: 100_000_000 }, "minItems 100000000 (above 2000, the most repetitions a grammar allows)", "s"],
    [{ type: "object", properties: { t: { type: "string", maxLength: 5000 } } }, "maxLength 5000 (above 2000, the most repetitions a grammar allows)", "s.properties.t"],
    [{ type: "string", minLength: 1.5 }, "minLength 1.5 (a count must be a whole number ≥ 0)", "s"],
    [{ type: "string", maxLength: "9" }, 'maxLength "9" (a count must be a whole number ≥ 0)', "s"],
    [{ type: "array", items: { type: "string" }, minItems: 3, maxItems: 2 }, "minItems 3 above maxItems 2 (no value fits)", "s"],
    [{ type: "object", minProperties: -1 }, "minProperties -1 (a count must be a whole number ≥ 0)", "s"],
  ])("refuses %j naming the feature and its path", (schema, feature, path) => {
    expect(toGrammarSchema(schema, "s")).toEqual({ ok: false, feature, path });
  });

  it("reads safe-integer bounds (zod's .int(), the OpenAI SDK's zodResponseFormat) as a plain integer, not a range of 2^54 values", () => {
    const zodInt = { type: "integer", minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
    expect(toGrammarSchema({ type: "object", properties: { n: zodInt }, required: ["n"], additionalProperties: false })).toEqual({ ok: true, schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false } });
  });

  it("keeps integers bounded only at the sign (zod's .nonnegative(), .positive(), .nonpositive(), .negative())", () => {
    const SAFE = Number.MAX_SAFE_INTEGER;
    expect(toGrammarSchema({ type: "integer", minimum: 0, maximum: SAFE })).toEqual({ ok: true, schema: { type: "integer", minimum: 0 } });
    expect(toGrammarSchema({ type: "integer", exclusiveMinimum: 0, maximum: SAFE })).toEqual({ ok: true, schema: { type: "integer", minimum: 1 } });
    expect(toGrammarSchema({ type: "integer", minimum: -SAFE, maximum: 0 })).toEqual({ ok: true, schema: { type: "integer", maximum: 0 } });
    expect(toGrammarSchema({ type: "integer", minimum: -SAFE, exclusiveMaximum: 0 })).toEqual({ ok: true, schema: { type: "integer", maximum: -1 } });
  });

  it("keeps counts up to the grammar's repetition limit", () => {
    const schema = { type: "array", items: { type: "string", minLength: 0, maxLength: MAX_GRAMMAR_REPETITIONS }, minItems: 2, maxItems: 2 };
    expect(toGrammarSchema(schema)).toEqual({ ok: true, schema });
  });

  it("refuses a schema nested deeper than the limit before translating it (3,000 levels overflowed the stack: a 500)", () => {
    const nest = (levels: number): unknown => (levels === 0 ? { type: "string" } : { type: "array", items: nest(levels - 1) });
    expect(toGrammarSchema(nest(3000), "s")).toEqual({ ok: false, feature: `nesting deeper than ${MAX_SCHEMA_JSON_DEPTH} JSON levels`, path: "s" });
    expect(toGrammarSchema(nest(20), "s").ok).toBe(true);
  });
});

describe("toToolGrammarSchema", () => {
  it("refuses an integer bounded only at the sign, naming where (tool arguments have no such bound), and keeps the rest", () => {
    const schema = { type: "object", properties: { items: { type: "array", items: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } };
    expect(toToolGrammarSchema(schema, "tools[0].parameters")).toEqual({ ok: false, feature: "minimum 0 on an integer tool argument (kept for response formats; tool arguments take closed integer ranges only)", path: "tools[0].parameters.properties.items.items" });
    const plain = { type: "object", properties: { n: { type: "integer" }, m: { enum: [1, 2] } } };
    expect(toToolGrammarSchema(plain)).toEqual(toGrammarSchema(plain));
  });

  it("loose (a tool not marked strict): leaves value constraints a grammar cannot express unenforced, names each, and keeps the shape", () => {
    // A Claude Code / MCP style tool: format uri, pattern, number bounds, an open integer bound, a sign bound, uniqueItems.
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        url: { type: "string", format: "uri", description: "The URL to fetch" },
        glob: { type: "string", pattern: "^[a-z*]+$", maxLength: 64 },
        timeout: { type: "number", minimum: 0, maximum: 600000 },
        lines: { type: "integer", minimum: 1 },
        offset: { type: "integer", minimum: 0 },
        page: { type: "integer", minimum: 1, maximum: 10 },
        tags: { type: "array", items: { type: "string" }, uniqueItems: true },
        when: { type: "string", format: "date-time" },
      },
      required: ["url"],
      additionalProperties: false,
    };
    expect(toToolGrammarSchema(schema, "tools[0].input_schema").ok).toBe(false);
    const loose = toToolGrammarSchema(schema, "tools[0].input_schema", "loose");
    expect(loose).toEqual({
      ok: true,
      schema: {
        type: "object",
        properties: {
          url: { type: "string", description: "The URL to fetch" },
          glob: { type: "string", maxLength: 64 },
          timeout: { type: "number" },
          lines: { type: "integer" },
          offset: { type: "integer" },
          page: { enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
          tags: { type: "array", items: { type: "string" } },
          when: { type: "string", format: "date-time" },
        },
        required: ["url"],
        additionalProperties: false,
      },
      unenforced: [
        "tools[0].input_schema.properties.url.format",
        "tools[0].input_schema.properties.glob.pattern",
        "tools[0].input_schema.properties.timeout.minimum",
        "tools[0].input_schema.properties.timeout.maximum",
        "tools[0].input_schema.properties.tags.uniqueItems",
        // Integers bounded at the sign are unbounded after the rest (a grammar for response formats keeps them).
        "tools[0].input_schema.properties.lines.minimum",
        "tools[0].input_schema.properties.offset.minimum",
      ],
    });
    // What loose returns is a strict tool schema: the worker translates it again without refusing.
    expect(loose.ok && toToolGrammarSchema(loose.schema, "tools[0].input_schema")).toEqual({ ok: true, schema: loose.ok ? loose.schema : {} });
  });

  it("loose: an untyped value (zod's z.any(), a record of unknowns) is any JSON value; an array without items any array", () => {
    const schema = { type: "object", properties: { v: { description: "anything" }, args: { type: "object", additionalProperties: {} }, list: { type: "array" } }, required: ["v"] };
    expect(toToolGrammarSchema(schema, "p").ok).toBe(false);
    const any = { oneOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "array" }, { type: "object", additionalProperties: true }] };
    expect(toToolGrammarSchema(schema, "p", "loose")).toEqual({
      ok: true,
      schema: { type: "object", properties: { v: { ...any, description: "anything" }, args: { type: "object", additionalProperties: any }, list: { type: "array" } }, required: ["v"], additionalProperties: false },
      unenforced: [],
    });
  });

  it("loose still refuses what changes a value's shape (allOf, an external $ref), naming it", () => {
    expect(toToolGrammarSchema({ type: "object", allOf: [{ type: "object" }] }, "p", "loose")).toMatchObject({ ok: false, feature: "allOf" });
    expect(toToolGrammarSchema({ type: "object", properties: { v: { $ref: "https://x/y.json" } } }, "p", "loose")).toMatchObject({ ok: false, path: "p.properties.v" });
  });
});

import { jsonDepthExceeds } from "../common/json-depth.js";

// JSON Schema → the subset llama.cpp grammars can express (node-llama-cpp's GBNF JSON schema), as
// plain data so the orchestrator refuses what cannot be honoured before a task is queued, naming the
// keyword and where it is. What is accepted is guaranteed by the grammar, so outputs validate.

/** A schema in the grammar subset (structurally node-llama-cpp's GbnfJsonSchema). */
export type GrammarSchema = { readonly [key: string]: unknown };

/** `unenforced`: keywords a loose tool schema kept out of the grammar (`<path>.<keyword>`), in loose mode only. */
export type GrammarSchemaResult = { ok: true; schema: GrammarSchema; unenforced?: string[] } | { ok: false; feature: string; path: string };

/**
 * How a tool's schema is held. `strict` (OpenAI's `strict: true`, our /v2 API): every keyword is
 * enforced by the grammar or the request is refused naming it. `loose` (a tool not marked strict, the
 * default of Chat Completions, Anthropic and Ollama, none of which enforce a tool's schema): the
 * grammar still enforces the shape (types, properties, required, enums, lengths, closed integer
 * ranges), and value constraints it cannot express — `pattern`, a string `format` other than date,
 * time and date-time, number bounds and `multipleOf`, open integer bounds, `uniqueItems`, content
 * keywords — are left to the model and the client, as the description tells them. Before, one such
 * keyword (Claude Code's and most MCP servers' tools have `format: "uri"`, `pattern`, `maximum`) made
 * the whole request a 400.
 */
export type ToolSchemaMode = "strict" | "loose";

/** Value constraints a loose tool schema leaves unenforced wherever they appear. */
const LOOSE_VALUE_KEYWORDS = new Set(["pattern", "multipleOf", "uniqueItems", "contentEncoding", "contentMediaType", "contentSchema"]);
const NUMBER_BOUNDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

/**
 * Any JSON value, as node-llama-cpp's grammar generates one: a loose tool schema's untyped value (`{}`,
 * zod's `z.any()`, `z.record(z.string(), z.unknown())`'s values). An array without items and an object
 * with `additionalProperties: true` are node-llama-cpp's "any" (its GbnfAnyJson).
 */
const ANY_JSON: Json = { oneOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "array" }, { type: "object", additionalProperties: true }] };

/** Where a translation records what it left unenforced; undefined: strict (refuse instead). */
type Loose = string[] | undefined;

/**
 * Deepest JSON nesting of a schema (about half as many schema levels: `properties` adds one). Deeper
 * is refused before any recursion: translating or compiling it to a grammar would overflow the stack.
 */
export const MAX_SCHEMA_JSON_DEPTH = 64;

/** Integer ranges up to this many values become an enum (the grammar has no numeric bounds). */
export const MAX_INTEGER_RANGE = 1024;

/**
 * Largest count a length or size keyword may name. Counts become grammar repetitions `x{m,n}`, and
 * llama.cpp's grammar parser refuses a minimum above 2000 (MAX_REPETITION_THRESHOLD: the task failed
 * with "Failed to parse grammar") and silently drops a larger maximum (the output could break it).
 */
export const MAX_GRAMMAR_REPETITIONS = 2000;

/** Count keywords as [minimum, maximum] pairs. */
const COUNT_KEYWORDS = [
  ["minItems", "maxItems"],
  ["minLength", "maxLength"],
  ["minProperties", "maxProperties"],
] as const;

const ANNOTATIONS = new Set(["title", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "strict"]);
const PRIMITIVES = new Set(["string", "number", "integer", "boolean", "null"]);
const STRING_FORMATS = new Set(["date-time", "time", "date"]);
const KEYWORDS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  object: ["properties", "required", "additionalProperties", "minProperties", "maxProperties"],
  array: ["items", "prefixItems", "minItems", "maxItems"],
  string: ["minLength", "maxLength", "format"],
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
  number: [],
  boolean: [],
  null: [],
};

class Unsupported extends Error {
  constructor(
    readonly feature: string,
    readonly path: string,
  ) {
    super(`${feature} at ${path}`);
  }
}

type Json = { [key: string]: unknown };
const isObject = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** Translates `schema`; `root` names it in refusals (e.g. `response_format.json_schema.schema`). */
export function toGrammarSchema(schema: unknown, root = "schema"): GrammarSchemaResult {
  return translateSchema(schema, root, undefined);
}

function translateSchema(schema: unknown, root: string, loose: Loose): GrammarSchemaResult {
  try {
    if (!isObject(schema)) throw new Unsupported("a schema that is not an object", root);
    if (jsonDepthExceeds(schema, MAX_SCHEMA_JSON_DEPTH)) throw new Unsupported(`nesting deeper than ${MAX_SCHEMA_JSON_DEPTH} JSON levels`, root);
    const defs = { ...(isObject(schema.$defs) ? schema.$defs : {}), ...(isObject(schema.definitions) ? schema.definitions : {}) };
    danglingReference(schema, root, new Set(Object.keys(defs)));
    const out: Json = { ...translate(omit(schema, ["$defs", "definitions"]), root, loose) };
    if (Object.keys(defs).length > 0) out.$defs = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, translate(def, `${root}.$defs.${name}`, loose)]));
    return { ok: true, schema: out, ...(loose !== undefined ? { unenforced: loose } : {}) };
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, feature: error.feature, path: error.path };
    throw error;
  }
}

/**
 * Refuses a `$ref` to a definition the schema does not have (node-llama-cpp would read it as "any value",
 * so a strict schema would constrain nothing there); `enum` and `const` values are data, not schemas.
 */
function danglingReference(node: unknown, path: string, names: ReadonlySet<string>): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => danglingReference(item, `${path}[${i}]`, names));
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.$ref === "string") {
    const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(node.$ref);
    if (match !== null && !names.has(match[1] ?? "")) throw new Unsupported(`$ref "${node.$ref}" (no such definition in the schema)`, path);
  }
  for (const [key, value] of Object.entries(node)) if (key !== "enum" && key !== "const") danglingReference(value, `${path}.${key}`, names);
}

/**
 * A tool's parameters translated: as toGrammarSchema, except that an integer bounded only at the sign
 * is refused (strict) or left unbounded (loose). Tool arguments are generated under node-llama-cpp's
 * own grammar for the function, which has no such bound (response formats get one,
 * worker-agent/engine/schema-grammar.ts). See ToolSchemaMode for what loose leaves unenforced.
 */
export function toToolGrammarSchema(schema: unknown, root = "schema", mode: ToolSchemaMode = "strict"): GrammarSchemaResult {
  const translated = translateSchema(schema, root, mode === "loose" ? [] : undefined);
  if (!translated.ok) return translated;
  if (mode === "loose") {
    const unenforced = translated.unenforced ?? [];
    return { ok: true, schema: unboundSignedIntegers(translated.schema, root, unenforced) as GrammarSchema, unenforced };
  }
  const found = signBoundedInteger(translated.schema, root);
  return found === undefined ? translated : { ok: false, feature: `${found.bound} on an integer tool argument (kept for response formats; tool arguments take closed integer ranges only)`, path: found.path };
}

/** The schema with every integer bounded only at the sign made a plain integer (recorded in `unenforced`). */
function unboundSignedIntegers(node: unknown, path: string, unenforced: string[]): unknown {
  if (Array.isArray(node)) return node.map((item, i) => unboundSignedIntegers(item, `${path}[${i}]`, unenforced));
  if (!isObject(node)) return node;
  if (node.type === "integer" && (node.minimum !== undefined || node.maximum !== undefined)) {
    unenforced.push(`${path}.${node.minimum !== undefined ? "minimum" : "maximum"}`);
    return omit(node, ["minimum", "maximum"]);
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, key === "enum" || key === "const" ? value : unboundSignedIntegers(value, `${path}.${key}`, unenforced)]));
}

function signBoundedInteger(node: unknown, path: string): { path: string; bound: string } | undefined {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) {
      const found = signBoundedInteger(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node.type === "integer" && (node.minimum !== undefined || node.maximum !== undefined)) {
    return { path, bound: node.minimum !== undefined ? `minimum ${String(node.minimum)}` : `maximum ${String(node.maximum)}` };
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "enum" || key === "const") continue;
    const found = signBoundedInteger(value, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function omit(value: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
}

function translate(given: unknown, path: string, loose: Loose): Json {
  if (!isObject(given)) throw new Unsupported("a schema that is not an object", path);
  const node = loose === undefined ? given : withoutLooseKeywords(given, path, loose);
  const keys = Object.keys(node).filter((k) => !ANNOTATIONS.has(k));
  const description = typeof node.description === "string" ? { description: node.description } : {};
  if (typeof node.$ref === "string") {
    const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(node.$ref);
    if (match === null) throw new Unsupported(`$ref "${node.$ref}" (only #/$defs/<name> references)`, path);
    return { $ref: `#/$defs/${match[1] ?? ""}`, ...description };
  }
  if (node.const !== undefined) return { const: primitive(node.const, `${path}.const`), ...description };
  if (node.enum !== undefined) {
    if (!Array.isArray(node.enum) || node.enum.length === 0) throw new Unsupported("an empty enum", path);
    return { enum: node.enum.map((v, i) => primitive(v, `${path}.enum[${i}]`)), ...description };
  }
  const union = node.anyOf ?? node.oneOf;
  if (union !== undefined) {
    const key = node.anyOf !== undefined ? "anyOf" : "oneOf";
    if (!Array.isArray(union) || union.length === 0) throw new Unsupported(`an empty ${key}`, path);
    return { oneOf: union.map((s, i) => translate(s, `${path}.${key}[${i}]`, loose)), ...description };
  }
  const unknown = keys.find((k) => !["type", "description", ...Object.values(KEYWORDS_BY_TYPE).flat()].includes(k));
  if (unknown !== undefined) throw new Unsupported(unknown, path);
  checkCounts(node, path);
  if (loose !== undefined && node.type === undefined && keys.every((k) => k === "description")) return { ...ANY_JSON, ...description };
  const types = node.type === undefined ? inferType(node, path) : Array.isArray(node.type) ? node.type : [node.type];
  for (const t of types) if (typeof t !== "string" || KEYWORDS_BY_TYPE[t] === undefined) throw new Unsupported(`type ${JSON.stringify(t)}`, path);
  const typed = (types as string[]).map((t) => typedSchema(t, node, path, types.length > 1, loose));
  if (typed.length === 1) return { ...typed[0], ...description };
  // Several types: primitives without keywords stay one type list; anything else becomes a union.
  if (typed.every((s) => Object.keys(s).length === 1 && PRIMITIVES.has(String(s.type)))) return { type: types, ...description };
  return { oneOf: typed, ...description };
}

/** Length and size keywords: whole numbers the grammar can repeat, minimum not above maximum. */
function checkCounts(node: Json, path: string): void {
  for (const [minKey, maxKey] of COUNT_KEYWORDS) {
    for (const key of [minKey, maxKey]) {
      const value = node[key];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Unsupported(`${key} ${JSON.stringify(value)} (a count must be a whole number ≥ 0)`, path);
      if (value > MAX_GRAMMAR_REPETITIONS) throw new Unsupported(`${key} ${value} (above ${MAX_GRAMMAR_REPETITIONS}, the most repetitions a grammar allows)`, path);
    }
    const min = node[minKey];
    const max = node[maxKey];
    if (typeof min === "number" && typeof max === "number" && min > max) throw new Unsupported(`${minKey} ${min} above ${maxKey} ${max} (no value fits)`, path);
  }
}

function inferType(node: Json, path: string): string[] {
  if (node.properties !== undefined || node.additionalProperties !== undefined) return ["object"];
  if (node.items !== undefined || node.prefixItems !== undefined) return ["array"];
  throw new Unsupported("a schema without a type (any value)", path);
}

/**
 * A loose tool schema's node without the value constraints no grammar here enforces: each one dropped
 * is recorded. Number bounds stay on an integer (a closed range is enforced, integerSchema decides the rest).
 */
function withoutLooseKeywords(node: Json, path: string, loose: string[]): Json {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  const integer = types.includes("integer");
  const formatKept = types.includes("string") && (node.format === undefined || STRING_FORMATS.has(String(node.format)));
  const dropped = Object.keys(node).filter((k) => LOOSE_VALUE_KEYWORDS.has(k) || (k === "format" && !formatKept) || (NUMBER_BOUNDS.includes(k) && !integer));
  if (dropped.length === 0) return node;
  for (const k of dropped) loose.push(`${path}.${k}`);
  return omit(node, dropped);
}

function typedSchema(type: string, node: Json, path: string, shared: boolean, loose: Loose): Json {
  // With a type list, keywords belong to the type they apply to; the others are left to it.
  const own = KEYWORDS_BY_TYPE[type] ?? [];
  if (!shared) {
    const foreign = Object.keys(node).find((k) => !["type", "description", ...ANNOTATIONS, ...own].includes(k));
    if (foreign !== undefined) throw new Unsupported(`${foreign} on a ${type}`, path);
  }
  switch (type) {
    case "object":
      return objectSchema(node, path, loose);
    case "array":
      return arraySchema(node, path, loose);
    case "string": {
      if (node.format !== undefined && !STRING_FORMATS.has(String(node.format))) throw new Unsupported(`format "${String(node.format)}" (only date-time, time and date)`, path);
      return pick({ type: "string" }, node, own);
    }
    case "integer":
      return looseIntegerSchema(node, path, loose);
    default:
      return { type };
  }
}

function objectSchema(node: Json, path: string, loose: Loose): Json {
  const out: Json = pick({ type: "object" }, node, ["required", "minProperties", "maxProperties"]);
  if (node.properties !== undefined) {
    if (!isObject(node.properties)) throw new Unsupported("properties that are not an object", path);
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, translate(v, `${path}.properties.${k}`, loose)]));
  }
  if (typeof node.additionalProperties === "boolean") out.additionalProperties = node.additionalProperties;
  else if (node.additionalProperties !== undefined) out.additionalProperties = translate(node.additionalProperties, `${path}.additionalProperties`, loose);
  // JSON Schema's default allows any extra property; the grammar cannot generate "any value", so none are generated.
  else out.additionalProperties = false;
  return out;
}

function arraySchema(node: Json, path: string, loose: Loose): Json {
  const out: Json = pick({ type: "array" }, node, ["minItems", "maxItems"]);
  if (node.items !== undefined) out.items = translate(node.items, `${path}.items`, loose);
  if (node.prefixItems !== undefined) {
    if (!Array.isArray(node.prefixItems)) throw new Unsupported("prefixItems that is not an array", path);
    out.prefixItems = node.prefixItems.map((s, i) => translate(s, `${path}.prefixItems[${i}]`, loose));
  }
  // Loose: an array of any values (node-llama-cpp generates any JSON items for an array without items).
  if (out.items === undefined && out.prefixItems === undefined && loose === undefined) throw new Unsupported("an array without items", path);
  return out;
}

/**
 * A bound at or past the safe-integer limit is no bound: it is what zod's `.int()` and other schema
 * generators emit for "an integer" (±9,007,199,254,740,991, the OpenAI SDK's zodResponseFormat among
 * them, refused as a range of more than 1024 values before), and the grammar's integers stop at 16
 * digits anyway.
 */
const beyondSafe = (value: number | undefined): number | undefined => (value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value);

/** An integer's schema; loose, bounds no grammar here enforces (open, or a range too wide) leave it a plain integer. */
function looseIntegerSchema(node: Json, path: string, loose: Loose): Json {
  if (loose === undefined) return integerSchema(node, path);
  try {
    return integerSchema(node, path);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    for (const k of NUMBER_BOUNDS) if (node[k] !== undefined) loose.push(`${path}.${k}`);
    return { type: "integer" };
  }
}

function integerSchema(node: Json, path: string): Json {
  const low = beyondSafe(bound(node.minimum, node.exclusiveMinimum, 1));
  const high = beyondSafe(bound(node.maximum, node.exclusiveMaximum, -1));
  if (low === undefined && high === undefined) return { type: "integer" };
  // Open at one end but bounded at the sign: zod's .nonnegative(), .positive(), .nonpositive() and
  // .negative() (the grammar writes them as digits with or without the minus, schema-grammar.ts).
  if (high === undefined && (low === 0 || low === 1)) return { type: "integer", minimum: low };
  if (low === undefined && (high === 0 || high === -1)) return { type: "integer", maximum: high };
  if (low === undefined || high === undefined) {
    throw new Unsupported(`${low === undefined ? "maximum" : "minimum"} without ${low === undefined ? "minimum" : "maximum"} (only closed integer ranges, or integers from 0 or 1 up, or from 0 or -1 down)`, path);
  }
  if (high < low) throw new Unsupported("an empty integer range", path);
  if (high - low + 1 > MAX_INTEGER_RANGE) throw new Unsupported(`an integer range of more than ${MAX_INTEGER_RANGE} values`, path);
  return { enum: Array.from({ length: high - low + 1 }, (_, i) => low + i) };
}

/** The inclusive integer bound from an inclusive and an exclusive keyword (step +1 for minimums, -1 for maximums). */
function bound(inclusive: unknown, exclusive: unknown, step: 1 | -1): number | undefined {
  const round = step === 1 ? Math.ceil : Math.floor;
  const fromInclusive = typeof inclusive === "number" ? round(inclusive) : undefined;
  const fromExclusive = typeof exclusive === "number" ? (Number.isInteger(exclusive) ? exclusive + step : round(exclusive)) : undefined;
  if (fromInclusive === undefined) return fromExclusive;
  if (fromExclusive === undefined) return fromInclusive;
  return step === 1 ? Math.max(fromInclusive, fromExclusive) : Math.min(fromInclusive, fromExclusive);
}

function pick(base: Json, node: Json, keys: readonly string[]): Json {
  const out = { ...base };
  for (const key of keys) if (node[key] !== undefined) out[key] = node[key];
  return out;
}

function primitive(value: unknown, path: string): string | number | boolean | null {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  throw new Unsupported("an object or array as an enum or const value", path);
}

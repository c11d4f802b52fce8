import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { toGrammarSchema } from "../../../src-shared/tasks/grammar-schema.js";
import type { EngineInferMessage } from "../engine-ipc.js";
import { boundNumberRules, markSignBoundedIntegers, withSignBoundedIntegers } from "../grammar-number-bounds.js";
import { nodeLlamaCppDir } from "./llama-server-source.js";

// A task's `format` as the GBNF grammar llama-server's /completion takes. The grammar is the very one
// the default engine compiles (node-llama-cpp's JSON-schema grammar generator, with the bounded number
// rules and sign-bounded integers of schema-grammar.ts; json.gbnf for {type: "json"}), not llama-server's
// own `json_schema` converter: that one lets a number carry a 16-digit exponent (JSON.parse reads it as
// Infinity) and differs in whitespace and extra properties, so the two engines' outputs would differ.

type Generate = (schema: unknown) => string;
let generator: Promise<Generate> | undefined;
let jsonGbnf: Promise<string> | undefined;

/**
 * node-llama-cpp's schema → GBNF generator. Its package exports hide it, and `createGrammarForJsonSchema`
 * needs a loaded llama.cpp binding, which this engine's process does not have: the module is imported
 * by its file (it is pure JS), and a version that moved it is a clear error.
 */
function schemaGenerator(): Promise<Generate> {
  generator ??= (async () => {
    const file = join(nodeLlamaCppDir(), "dist", "utils", "gbnfJson", "getGbnfGrammarForGbnfJsonSchema.js");
    const module: unknown = await import(pathToFileURL(file).href);
    const generate = (module as { getGbnfGrammarForGbnfJsonSchema?: unknown }).getGbnfGrammarForGbnfJsonSchema;
    if (typeof generate !== "function") throw new Error(`${file} has no getGbnfGrammarForGbnfJsonSchema (node-llama-cpp moved it)`);
    return (schema) => {
      const gbnf: unknown = generate(schema);
      if (typeof gbnf !== "string") throw new Error("getGbnfGrammarForGbnfJsonSchema returned no grammar text");
      return gbnf;
    };
  })();
  return generator;
}

/**
 * A schema grammar ends with four newlines, node-llama-cpp's stop trigger for a model that does not
 * stop on its own; llama-server stops on it as a stop string and leaves it out of the text.
 */
export const SCHEMA_GRAMMAR_STOP = "\n".repeat(4);

export type FormatGrammar = { ok: true; grammar: string; stop: string[] } | { ok: false; message: string };

/** The grammar a task's format asks for; undefined without a format. */
export async function formatGrammar(format: EngineInferMessage["format"]): Promise<FormatGrammar | undefined> {
  if (format === undefined) return undefined;
  if (format.type === "json") {
    jsonGbnf ??= readFile(join(nodeLlamaCppDir(), "llama", "grammars", "json.gbnf"), "utf8");
    return { ok: true, grammar: await jsonGbnf, stop: [] };
  }
  const translated = toGrammarSchema(format.schema, "format.schema");
  if (!translated.ok) return { ok: false, message: `${translated.path} uses ${translated.feature}, which a grammar cannot express` };
  const found = new Map<string, string>();
  const marked = markSignBoundedIntegers(translated.schema, randomBytes(6).toString("hex"), found);
  const gbnf = (await schemaGenerator())(marked);
  return { ok: true, grammar: withSignBoundedIntegers(boundNumberRules(gbnf), found), stop: [SCHEMA_GRAMMAR_STOP] };
}

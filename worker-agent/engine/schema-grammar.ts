import { randomBytes } from "node:crypto";
import { LlamaText, type GbnfJsonSchema, type Llama, type LlamaGrammar } from "node-llama-cpp";
import { boundNumberRules, markSignBoundedIntegers, withSignBoundedIntegers } from "./grammar-number-bounds.js";

type GrammarBindings = { AddonGrammar: new (grammar: string, options: unknown) => object };
const bounded = new WeakSet<object>();

/**
 * Bounds the number rules of every grammar this llama.cpp binding compiles, the ones node-llama-cpp
 * builds inside a generation too: a tool call's arguments come from its own grammar for the function's
 * parameters (FunctionCallParamsGrammar), where a 16-digit exponent parsed as Infinity and reached the
 * client as `null` (JSON has no Infinity). LlamaGrammar compiles its text through
 * `llama._bindings.AddonGrammar`, so that constructor gets the bounded text.
 */
export function boundGrammarNumbers(llama: Llama): void {
  const bindings = (llama as unknown as { _bindings?: GrammarBindings })._bindings;
  if (bindings === undefined || bounded.has(bindings)) return;
  const Compile = bindings.AddonGrammar;
  bindings.AddonGrammar = class extends Compile {
    constructor(grammar: string, options: unknown) {
      super(typeof grammar === "string" ? boundNumberRules(grammar) : grammar, options);
    }
  };
  bounded.add(bindings);
}

/** The grammar constraining output to `schema`, with finite numbers and safe integers. */
export async function schemaGrammar(llama: Llama, schema: GbnfJsonSchema): Promise<LlamaGrammar> {
  const found = new Map<string, string>();
  const marked = markSignBoundedIntegers(schema, randomBytes(6).toString("hex"), found) as GbnfJsonSchema;
  const generated = await llama.createGrammarForJsonSchema<GbnfJsonSchema>(marked);
  const bounded = withSignBoundedIntegers(boundNumberRules(generated.grammar), found);
  if (bounded === generated.grammar) return generated;
  // The options LlamaJsonSchemaGrammar gives its own grammar.
  return llama.createGrammar({ grammar: bounded, stopGenerationTriggers: [LlamaText(["\n".repeat(4)])], trimWhitespaceSuffix: true });
}

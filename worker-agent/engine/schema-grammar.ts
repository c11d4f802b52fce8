import { LlamaText, type GbnfJsonSchema, type Llama, type LlamaGrammar } from "node-llama-cpp";

// node-llama-cpp's JSON-schema grammar lets a number carry an exponent of up to 16 digits, and an
// integer too: a small or random model writes `"count": 7e1234567890123456`, which JSON.parse reads
// as Infinity — no integer, no finite number, so a schema's output failed its own validation (the
// OpenAI SDK's zodResponseFormat threw "expected number, received Infinity"). The two number rules are
// replaced by bounded ones: integers without exponent and at most 15 digits (every one a safe
// integer), fractions with an exponent of at most two digits (always finite).

const INTEGER_RULE = /^integer-number-rule ::= .*$/m;
const FRACTIONAL_RULE = /^fractional-number-rule ::= .*$/m;
const BOUNDED_INTEGER = 'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14})';
const BOUNDED_FRACTIONAL = 'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,16})? ([eE] [-+]? [1-9] [0-9]?)?';

/** node-llama-cpp's GBNF for a schema with its number rules bounded (unchanged when it has none). */
export function boundNumberRules(gbnf: string): string {
  return gbnf.replace(INTEGER_RULE, BOUNDED_INTEGER).replace(FRACTIONAL_RULE, BOUNDED_FRACTIONAL);
}

/** The grammar constraining output to `schema`, with finite numbers and safe integers. */
export async function schemaGrammar(llama: Llama, schema: GbnfJsonSchema): Promise<LlamaGrammar> {
  const generated = await llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema);
  const bounded = boundNumberRules(generated.grammar);
  if (bounded === generated.grammar) return generated;
  // The options LlamaJsonSchemaGrammar gives its own grammar.
  return llama.createGrammar({ grammar: bounded, stopGenerationTriggers: [LlamaText(["\n".repeat(4)])], trimWhitespaceSuffix: true });
}

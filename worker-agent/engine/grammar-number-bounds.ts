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

/**
 * The integers bounded only at the sign (grammar-schema.ts keeps `minimum` 0 or 1, `maximum` 0 or -1,
 * which node-llama-cpp's schema grammar ignores), as rule bodies with the bounded digits above.
 */
const SIGN_BOUNDED_INTEGERS: Readonly<Record<string, string>> = {
  min0: '("0" | [1-9] [0-9]{0,14})',
  min1: "[1-9] [0-9]{0,14}",
  max0: '("0" | "-" [1-9] [0-9]{0,14})',
  maxm1: '"-" [1-9] [0-9]{0,14}',
};

function signBound(node: Record<string, unknown>): string | undefined {
  if (node.type !== "integer") return undefined;
  if (node.minimum === 0 || node.minimum === 1) return `min${node.minimum}`;
  if (node.maximum === 0) return "max0";
  if (node.maximum === -1) return "maxm1";
  return undefined;
}

/**
 * The schema with each sign-bounded integer replaced by a string const unique to this call: node-llama-cpp
 * writes a const as a rule of its own (`val0 ::= "\"<marker>\""`) wherever the value goes, so the
 * literal can then be swapped for the integer's rule (`withSignBoundedIntegers`).
 */
export function markSignBoundedIntegers(schema: unknown, nonce: string, found: Map<string, string>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => markSignBoundedIntegers(item, nonce, found));
  if (schema === null || typeof schema !== "object") return schema;
  const node = schema as Record<string, unknown>;
  const kind = signBound(node);
  if (kind !== undefined) {
    const marker = `llorch${nonce}${kind}`;
    found.set(marker, SIGN_BOUNDED_INTEGERS[kind] as string);
    return { const: marker };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, markSignBoundedIntegers(value, nonce, found)]));
}

/** The generated grammar with each marker's literal replaced by its integer rule. */
export function withSignBoundedIntegers(gbnf: string, found: ReadonlyMap<string, string>): string {
  let out = gbnf;
  for (const [marker, rule] of found) out = out.replaceAll(`"\\"${marker}\\""`, rule);
  return out;
}

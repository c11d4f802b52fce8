// llama.cpp's grammar parser refuses some grammars a schema in the accepted subset can still compile
// to (too many rules repeated together: MAX_REPETITION_THRESHOLD); node-llama-cpp then throws a bare
// "Failed to parse grammar". That is the request's schema, not a fault of the node: INVALID_PARAMS.

/** Whether `error` is node-llama-cpp's grammar parse failure. */
export function isGrammarParseFailure(error: unknown): boolean {
  return error instanceof Error && /failed to parse grammar/i.test(error.message);
}

/** The refusal for a schema whose grammar llama.cpp would not parse (`param` names where it came from). */
export function grammarRefusal(param: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `${param}: llama.cpp could not build the grammar that constrains the output (${reason}); use smaller minItems/maxItems/minLength/maxLength or a simpler schema`;
}

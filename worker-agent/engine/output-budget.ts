// Whether a prompt leaves room to generate in one sequence's context. Pure arithmetic, apart from
// prompt-fit.ts (which measures prompts with node-llama-cpp) so that the llama-server engine, which runs
// in the agent's process, checks budgets without loading node-llama-cpp.

/**
 * The CONTEXT_TOO_LONG message when prompt plus max_tokens does not fit one sequence's context,
 * else undefined. Fitting means generation never needs a context shift.
 */
export function contextOverflow(promptTokens: number, maxTokens: number, contextSize: number): string | undefined {
  if (promptTokens + maxTokens <= contextSize) return undefined;
  return `prompt of ${promptTokens} tokens plus max_tokens ${maxTokens} is ${promptTokens + maxTokens} tokens, more than the ${contextSize}-token context of a slot`;
}

/**
 * The tokens a task may generate: its max_tokens when prompt plus max_tokens fits a slot's context;
 * with fill_context, what the context leaves after the prompt (at least one token); else a refusal.
 */
export function outputBudget(promptTokens: number, task: { max_tokens: number; fill_context?: boolean | undefined }, contextSize: number): { ok: true; maxTokens: number } | { ok: false; message: string } {
  const overflow = contextOverflow(promptTokens, task.max_tokens, contextSize);
  if (overflow === undefined) return { ok: true, maxTokens: task.max_tokens };
  const left = contextSize - promptTokens;
  if (task.fill_context === true && left >= 1) return { ok: true, maxTokens: left };
  return { ok: false, message: task.fill_context === true ? `prompt of ${promptTokens} tokens leaves no room to generate in the ${contextSize}-token context of a slot` : overflow };
}

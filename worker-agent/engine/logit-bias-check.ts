import type { LogitBias } from "../../src-shared/worker-api/sampling.js";

// Apart from sampling-options.ts (which builds node-llama-cpp's TokenBias) so that the llama-server
// engine, in the agent's process, checks a logit_bias without loading node-llama-cpp.

/** What a model tells about its token ids: how many there are, and which end a generation. */
export interface Vocabulary {
  /** Undefined when the model file does not list its tokens. */
  readonly size: number | undefined;
  isEndOfGeneration(token: number): boolean;
}

/**
 * Why a logit_bias cannot be applied to this model, or undefined when it can. An id beyond the
 * vocabulary would index past llama.cpp's logits (and llama-server drops such ids silently); an
 * end-of-generation token's bias node-llama-cpp ignores, so both are refused by name instead.
 */
export function logitBiasRefusal(bias: LogitBias, vocabulary: Vocabulary): string | undefined {
  const size = vocabulary.size;
  if (size === undefined) return "logit_bias cannot be applied: the model file does not list its vocabulary";
  for (const key of Object.keys(bias)) {
    const id = Number(key);
    if (id >= size) return `logit_bias names token ${key}, outside the model's vocabulary (token ids 0 to ${size - 1})`;
    if (vocabulary.isEndOfGeneration(id)) return `logit_bias names token ${key}, an end-of-generation token: its bias cannot be changed (use max_tokens or stop instead)`;
  }
  return undefined;
}

import type { TokenLogprob, TokenLogprobs } from "../../../src-shared/streaming/sse-events.js";
import type { CompletionParams, CompletionProbability, TokenProbability } from "./llama-server-api.js";

// A task's logprobs through llama-server's n_probs, in the shape the default engine emits
// (token-probe.ts): the token's text, its natural-log probability, the text's UTF-8 bytes, and the
// `top` most likely alternatives. The default engine reports the distribution its sampler drew from
// (softmax over the candidates left by the sampler chain); llama-server's post_sampling_probs is the
// same. Greedy decoding is the exception: node-llama-cpp's greedy chain keeps every candidate, while
// llama-server's reports the chosen token alone at probability 1, so at temperature 0 the raw
// distribution is asked for instead (what the default engine reports there).

/** OpenAI's stand-in for a probability of 0 (JSON has no -Infinity), as the default engine uses. */
const LOG_ZERO = -9999;

/** The /completion fields for `top` alternatives per token; n_probs 0 would report nothing, not the token itself. */
export function logprobsParams(top: number | undefined, temperature: number): Pick<CompletionParams, "n_probs" | "post_sampling_probs"> {
  if (top === undefined) return {};
  return { n_probs: Math.max(top, 1), post_sampling_probs: temperature > 0 };
}

function entry(probability: TokenProbability): TokenLogprob {
  const logprob = probability.logprob ?? (probability.prob !== undefined && probability.prob > 0 ? Math.log(probability.prob) : LOG_ZERO);
  return { token: probability.token, logprob: Math.max(logprob, LOG_ZERO), bytes: Array.from(Buffer.from(probability.token, "utf8")) };
}

/** One sampled token's entry with its `top` alternatives, most likely first. */
export function tokenLogprobs(probability: CompletionProbability, top: number): TokenLogprobs {
  const alternatives = probability.top_logprobs ?? probability.top_probs ?? [];
  return { ...entry(probability), top_logprobs: alternatives.slice(0, top).map(entry) };
}

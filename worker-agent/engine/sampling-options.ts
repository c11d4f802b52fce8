import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";
import { DEFAULT_REPEAT_LAST_N, type LogitBias } from "../../src-shared/worker-api/sampling.js";
import type { Vocabulary } from "./logit-bias-check.js";

/** The penalty fields of a request (src-shared/worker-api/sampling.ts). */
export interface PenaltyFields {
  repeat_penalty?: number | undefined;
  repeat_last_n?: number | undefined;
  frequency_penalty?: number | undefined;
  presence_penalty?: number | undefined;
}

/** node-llama-cpp's repeat penalty option: what llama.cpp's penalties sampler gets. */
export interface RepeatPenaltyOption {
  lastTokens: number;
  penalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
}

/**
 * The penalties a request asks for, or false when it asks for none: off by default (as llama-server
 * and OpenAI), since an unasked penalty changes the output and costs a copy of the window per token.
 * `repeat_last_n: -1` (all generated tokens) is the context's size.
 */
export function repeatPenaltyOption(fields: PenaltyFields, contextSize: number): RepeatPenaltyOption | false {
  const penalty = fields.repeat_penalty ?? 1;
  const frequencyPenalty = fields.frequency_penalty ?? 0;
  const presencePenalty = fields.presence_penalty ?? 0;
  // No generation outgrows the context, so a longer window only sizes the sampler's buffer for nothing.
  const lastTokens = fields.repeat_last_n === -1 ? contextSize : Math.min(fields.repeat_last_n ?? DEFAULT_REPEAT_LAST_N, contextSize);
  if (lastTokens === 0 || (penalty === 1 && frequencyPenalty === 0 && presencePenalty === 0)) return false;
  return { lastTokens, penalty, frequencyPenalty, presencePenalty };
}

export function vocabularyOf(model: LlamaModel): Vocabulary {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  return { size: Array.isArray(tokens) ? tokens.length : undefined, isEndOfGeneration: (token) => model.isEogToken(token as Token) };
}

/**
 * node-llama-cpp's token bias for a checked logit_bias: each value is added to the token's logit, -100
 * included, as llama-server does. -100 bans the token in practice (e^-100 against any other candidate),
 * but it is not node-llama-cpp's "never" (-infinity): under a grammar (response_format, tools) a banned
 * token can be the only one the grammar allows next ('"' in a JSON schema), and with every candidate at
 * -infinity llama.cpp samples token 0, the grammar refuses it and node-llama-cpp's unhandled rejection
 * ("Failed to accept token in sampler") killed the engine, the other requests on the pool with it.
 */
export function tokenBiasOf(bias: LogitBias, model: LlamaModel): TokenBias {
  const tokenBias = TokenBias.for(model);
  for (const [key, value] of Object.entries(bias)) tokenBias.set(Number(key) as Token, { logit: value });
  return tokenBias;
}

import type { FimTokens } from "./gguf-fim-tokens.js";
import type { LlamaServerApi } from "./llama-server-api.js";

// A fill-in-the-middle prompt framed as the default engine frames it (node-llama-cpp's
// generateInfillCompletion): [BOS] <PRE> prefix <SUF> suffix <MID>, or [BOS] <SUF> suffix <PRE> prefix
// for a model without a middle token, sent to /completion as tokens. Not llama-server's /infill: that
// cuts a prefix longer than three quarters of a batch and a suffix longer than a quarter silently and
// adds its own extra context, so the task would run on an input the client never sent, and its size
// could not be measured first; framed here it is measured exactly (CONTEXT_TOO_LONG, fill_context).

/**
 * Separator tokenized in front of a text and taken off again, so SentencePiece adds no leading space:
 * node-llama-cpp's tokenize(text, false, "trimLeadingSpace"), step for step (LlamaModel.tokenize).
 */
const SEPARATOR = "\n";

async function tokenizeTrimmed(api: LlamaServerApi, text: string, separator: readonly number[], signal: AbortSignal): Promise<number[]> {
  if (text === "") return [];
  if (text.startsWith(SEPARATOR)) {
    // Already starts with the separator: as it is, if that keeps the newline in front. llama-server's
    // /detokenize joins the pieces and keeps SentencePiece's space prefix, which llama.cpp's own
    // detokenize (node-llama-cpp's) drops: one leading space is not counted.
    const tokens = await api.tokenize(text, signal, true);
    if ((await api.detokenize(tokens, signal)).replace(/^ /, "").startsWith(SEPARATOR)) return tokens;
  }
  const tokens = await api.tokenize(SEPARATOR + text, signal, true);
  if (separator.length > 0 && separator.every((token, i) => tokens[i] === token)) return tokens.slice(separator.length);
  return api.tokenize(text, signal, true);
}

export async function infillPromptTokens(api: LlamaServerApi, fim: FimTokens, prefix: string, suffix: string, signal: AbortSignal): Promise<number[]> {
  // What llama.cpp puts in front of a prompt (BOS, when the model adds one): an empty prompt's tokens.
  const [bos, separator] = await Promise.all([api.tokenize("", signal), api.tokenize(SEPARATOR, signal, true)]);
  const [pre, suf] = await Promise.all([tokenizeTrimmed(api, prefix, separator, signal), tokenizeTrimmed(api, suffix, separator, signal)]);
  if (fim.middle !== undefined) return [...bos, fim.prefix, ...pre, fim.suffix, ...suf, fim.middle];
  return [...bos, fim.suffix, ...suf, fim.prefix, ...pre];
}

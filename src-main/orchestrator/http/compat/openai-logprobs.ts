import type { ChatLogprobs, CompletionLogprobs } from "../../../../src-shared/openai/openai-tools.js";
import type { TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";

// The engine's per-token log probabilities in OpenAI's two shapes.

/** choices[].logprobs of a chat completion or chunk. */
export function chatLogprobs(tokens: readonly TokenLogprobs[]): ChatLogprobs {
  return { content: tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })) })), refusal: null };
}

/** choices[].logprobs of a text completion; offsets count from `offset` (the text already sent). */
export function completionLogprobs(tokens: readonly TokenLogprobs[], offset = 0): CompletionLogprobs {
  const textOffset: number[] = [];
  let at = offset;
  for (const t of tokens) {
    textOffset.push(at);
    at += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top_logprobs.map((a) => [a.token, a.logprob]))),
    text_offset: textOffset,
  };
}

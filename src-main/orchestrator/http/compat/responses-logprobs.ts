import type { ResponsesOutputLogprob, ResponsesStreamLogprob } from "../../../../src-shared/openai/responses.js";
import type { TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";

// The engine's per-token log probabilities in the Responses API's two shapes (the openai package's
// ResponseOutputText.Logprob and ResponseTextDeltaEvent.Logprob).

/** `logprobs` of an output_text part: token, logprob, UTF-8 bytes and the alternatives with theirs. */
export function outputTextLogprobs(tokens: readonly TokenLogprobs[]): ResponsesOutputLogprob[] {
  return tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })) }));
}

/** `logprobs` of response.output_text.delta and .done: the event shape has no bytes. */
export function streamLogprobs(tokens: readonly TokenLogprobs[]): ResponsesStreamLogprob[] {
  return tokens.map((t) => ({ token: t.token, logprob: t.logprob, top_logprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob })) }));
}

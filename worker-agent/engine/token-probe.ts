import type { LlamaContextSequence, LlamaModel, SequenceEvaluateMetadataOptions, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import type { TokenLogprob, TokenLogprobs } from "../../src-shared/streaming/sse-events.js";

// Log probabilities come from the sampler itself: while a task asks for them, every evaluation of
// its sequence (LlamaChat and LlamaCompletion both go through evaluateWithMetadata) is asked for the
// next token's probabilities, and each sampled token is reported with them.

type Step = { token: Token; probabilities?: Map<Token, number>; confidence?: number };
/** A sampled step with the token decoded before it (its text depends on it: a SentencePiece space). */
type ProbedStep = Step & { previous: Token | undefined };

/** Reports the tokens a sequence samples, with their probabilities when asked for, while a listener is set. */
export class TokenProbe {
  private listener: ((step: ProbedStep) => void) | undefined;
  private probabilities = false;

  constructor(sequence: LlamaContextSequence) {
    const evaluateWithMetadata = sequence.evaluateWithMetadata.bind(sequence);
    // The yielded values only gain fields the caller did not ask for, so its types still hold.
    const probed = (tokens: Token[], metadata: SequenceEvaluateMetadataOptions, options?: SequenceEvaluateOptions): AsyncGenerator<Step, void, Token | Token[] | void> => {
      const listener = this.listener;
      if (listener === undefined) return evaluateWithMetadata(tokens, metadata, options);
      return observe(evaluateWithMetadata(tokens, this.probabilities ? { ...metadata, probabilities: true, confidence: true } : metadata, options), tokens.at(-1), listener);
    };
    sequence.evaluateWithMetadata = probed as LlamaContextSequence["evaluateWithMetadata"];
  }

  /** Every sampled token goes to `listener`; with `probabilities`, the sampler's too (which costs a sort per token). */
  listen(listener: (step: ProbedStep) => void, probabilities = true): void {
    this.listener = listener;
    this.probabilities = probabilities;
  }

  stop(): void {
    this.listener = undefined;
  }
}

async function* observe<TNext>(steps: AsyncGenerator<Step, void, TNext>, last: Token | undefined, listener: (step: ProbedStep) => void): AsyncGenerator<Step, void, TNext> {
  let input: TNext | undefined;
  let previous = last;
  try {
    for (;;) {
      const step = input === undefined ? await steps.next() : await steps.next(input);
      if (step.done === true) return;
      listener({ ...step.value, previous });
      previous = step.value.token;
      input = yield step.value;
    }
  } finally {
    await steps.return(undefined);
  }
}

/** OpenAI's stand-in for a probability of 0 (JSON has no -Infinity). */
const LOG_ZERO = -9999;

/**
 * A token's text as it reads after the one before it: alone, a SentencePiece token loses its leading
 * space ("▁of" → "of"), so the entries would not concatenate to the text the stream sent.
 */
function entry(model: LlamaModel, token: Token, probability: number, context: Token[] | undefined): TokenLogprob {
  const text = model.detokenize([token], false, context);
  return { token: text, logprob: probability > 0 ? Math.log(probability) : LOG_ZERO, bytes: Array.from(Buffer.from(text, "utf8")) };
}

/** A sampled token as a logprobs entry with its `top` most likely alternatives. */
export function logprobsOf(model: LlamaModel, step: ProbedStep, top: number): TokenLogprobs {
  const probability = step.probabilities?.get(step.token) ?? step.confidence ?? 0;
  const context = step.previous !== undefined ? [step.previous] : undefined;
  const alternatives: TokenLogprob[] = [];
  for (const [token, p] of step.probabilities ?? []) {
    if (alternatives.length >= top) break;
    alternatives.push(entry(model, token, p, context));
  }
  return { ...entry(model, step.token, probability, context), top_logprobs: alternatives };
}

// Shared by the node-llama-cpp benches (benchmarks only): time per token of the public
// sequence.evaluate() loop and of LlamaCompletion, from the first generated token on (the prompt's
// evaluation excluded).
import { LlamaCompletion } from "node-llama-cpp";

/** Milliseconds per generated token over `tokens` tokens of `prompt` on a fresh sequence of `context`. */
export async function evaluateMsPerToken(context, model, prompt, tokens) {
  const sequence = context.getSequence();
  let n = 0;
  let first = 0;
  for await (const token of sequence.evaluate(model.tokenize(prompt), { temperature: 0 })) {
    void token;
    if (n === 0) first = performance.now();
    if (++n >= tokens) break;
  }
  const ms = (performance.now() - first) / (n - 1);
  sequence.dispose();
  return ms;
}

/** Milliseconds per generated token of LlamaCompletion (greedy; `extra`: more generateCompletion options). */
export async function completionMsPerToken(context, prompt, tokens, extra = {}) {
  const c = new LlamaCompletion({ contextSequence: context.getSequence() });
  let n = 0;
  let first = 0;
  let last = 0;
  await c.generateCompletion(prompt, {
    maxTokens: tokens,
    temperature: 0,
    ...extra,
    onToken: () => {
      last = performance.now();
      if (n++ === 0) first = last;
    },
  });
  c.dispose({ disposeSequence: true });
  return (last - first) / (n - 1);
}

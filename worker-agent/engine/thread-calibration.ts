import type { LlamaModel } from "node-llama-cpp";
import type { FlashAttentionOption } from "./flash-attention.js";

// node-llama-cpp's prebuilt CPU binaries are built without OpenMP: ggml's threads meet at barriers by
// spinning, never sleeping. With a thread per free core that is fastest; with fewer free cores than
// threads (2 threads on a 2-core box where Node's own thread and other processes run too) every barrier
// waits for a descheduled thread, and decoding collapses (measured: 0.6 ms/token on 1 thread, 64 tokens
// not done within 2 minutes on 2). The thread count asked for is therefore only used when a short
// timed decode at pool start shows it beating one thread, or (when decoding is about even) a timed
// prompt evaluation does (pickThreads); otherwise the engine runs on one. The native build
// (native-addon/) has OpenMP and does not collapse, but is checked the same way: on a busy box one
// thread can still be the faster choice.

const CALIBRATION_TOKENS = 24;
/** Per candidate: a collapsing thread count shows itself long before this. */
const CALIBRATION_BUDGET_MS = 1500;
/** The larger count must be at least this much faster to be chosen (noise must not pick it). */
const REQUIRED_SPEEDUP = 1.1;

/**
 * The most llama.cpp threads a node-llama-cpp engine on CPU may try: one core is left for its own
 * JavaScript thread and the agent, which work on every token while it serves. Timed alone, two threads
 * on the 2-core build box decoded the big model 1.2× faster than one and won the calibration; serving,
 * they ran at 187–282 tok/s against 347–394 for one pinned thread in the same run (docs/PERFORMANCE.md,
 * "One CPU per one-thread engine"): each token's other work lands on a llama thread's core and stalls
 * every barrier of the step. So where a one-thread engine is pinned (engine-cpu-pinning.ts), `threads`
 * that would take every core are tried as cores − 1.
 */
export function threadsToTry(requested: number, cores: number): number {
  return cores >= 2 && requested >= cores ? Math.max(1, cores - 1) : requested;
}

/**
 * Runs a one-thread measurement as the engine would serve with one thread: pinned to one CPU when the
 * agent pins one-thread engines (engine-cpu-pinning.ts). Unpinned, one thread hands each token between
 * two cores and measured up to 1.5× slower than it serves, so two threads won calibrations they lose.
 */
export type OneThreadPlacement = <T>(measure: () => Promise<T>) => Promise<T>;

const asItIs: OneThreadPlacement = (measure) => measure();

/** Milliseconds per generated token at `threads`, decoding at most CALIBRATION_TOKENS within the budget. */
async function msPerToken(model: LlamaModel, threads: number, flashAttention: FlashAttentionOption): Promise<number> {
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads, flashAttention });
  try {
    const sequence = context.getSequence();
    const started = performance.now();
    let first = 0;
    let n = 0;
    for await (const token of sequence.evaluate(model.tokenize("Calibrating the thread count: the cat sat on the mat."), { temperature: 0 })) {
      void token;
      if (n === 0) first = performance.now();
      n++;
      if (n >= CALIBRATION_TOKENS || performance.now() - started > CALIBRATION_BUDGET_MS) break;
    }
    return n > 1 ? (performance.now() - first) / (n - 1) : Number.POSITIVE_INFINITY;
  } finally {
    await context.dispose();
  }
}

export interface ThreadChoice {
  threads: number;
  /** ms/token measured per candidate (empty when there was nothing to choose). */
  measured: Record<number, number>;
  /** ms to evaluate the calibration prompt per candidate (absent when decoding already decided). */
  prompt?: Record<number, number>;
}

/** The prompt evaluated for the prompt-processing measurement (tokens). */
const CALIBRATION_PROMPT_TOKENS = 192;
/** Prompt processing must be at least this much faster for the larger count to be chosen on it. */
const REQUIRED_PROMPT_SPEEDUP = 1.25;
/** ...and decoding at most this much slower (noise; a collapsing count is many times slower). */
const TOLERATED_DECODE_SLOWDOWN = 1.1;
/** Slower than this on the first sample: a collapse, not measured again. */
const COLLAPSE_FACTOR = 3;

/**
 * The choice from the measurements: the larger count when it decodes ≥ 10 % faster, or when it
 * processes prompts ≥ 25 % faster without decoding more than 10 % slower. Decoding a small model is
 * a fraction of a millisecond per token, where a 24-token sample cannot show the 10–30 % a second
 * OpenMP thread gains; prompt processing (a batch) shows it plainly (native build, medium model, 2
 * cores: 2,000 tokens in 158–163 ms on two threads against 263–272 ms on one).
 */
export function pickThreads(requested: number, decode: { one: number; many: number }, prompt?: { one: number; many: number }): number {
  if (decode.many * REQUIRED_SPEEDUP <= decode.one) return requested;
  if (prompt !== undefined && prompt.many * REQUIRED_PROMPT_SPEEDUP <= prompt.one && decode.many <= decode.one * TOLERATED_DECODE_SLOWDOWN) return requested;
  return 1;
}

/** Milliseconds to evaluate a CALIBRATION_PROMPT_TOKENS-token prompt at `threads` (one batch). */
async function msPerPrompt(model: LlamaModel, threads: number, flashAttention: FlashAttentionOption): Promise<number> {
  const context = await model.createContext({ contextSize: 512, sequences: 1, threads, flashAttention });
  try {
    const tokens = model.tokenize("The quick brown fox jumps over the lazy dog. ".repeat(40)).slice(0, CALIBRATION_PROMPT_TOKENS);
    const sequence = context.getSequence();
    // A first, shorter batch warms the threads up (an OpenMP team starts on its first parallel region).
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 16));
    await sequence.clearHistory();
    const started = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    return performance.now() - started;
  } finally {
    await context.dispose();
  }
}

/**
 * `requested` threads if they are measurably faster than one (see pickThreads), else 1. Timed with the
 * pool context's flash-attention setting (flash-attention.ts), which changes what a token costs.
 */
export async function chooseThreads(model: LlamaModel, requested: number, flashAttention: FlashAttentionOption = "auto", oneThread: OneThreadPlacement = asItIs): Promise<ThreadChoice> {
  if (requested <= 1) return { threads: 1, measured: {} };
  let one = await oneThread(() => msPerToken(model, 1, flashAttention));
  let many = await msPerToken(model, requested, flashAttention);
  // Not a collapse: a second, interleaved sample of each, keeping the faster. Other work on the machine
  // (another pool loading, say) only ever adds time, so the minimum is the closer reading.
  if (many <= one * COLLAPSE_FACTOR) {
    one = Math.min(one, await oneThread(() => msPerToken(model, 1, flashAttention)));
    many = Math.min(many, await msPerToken(model, requested, flashAttention));
  }
  const measured = { 1: one, [requested]: many };
  // Decoding decided, or the larger count is slower (a collapse's prompt would not finish in the budget either).
  if (many * REQUIRED_SPEEDUP <= one || !(many <= one * TOLERATED_DECODE_SLOWDOWN)) return { threads: pickThreads(requested, { one, many }), measured };
  let promptOne = Number.POSITIVE_INFINITY;
  let promptMany = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) {
    promptOne = Math.min(promptOne, await oneThread(() => msPerPrompt(model, 1, flashAttention)));
    promptMany = Math.min(promptMany, await msPerPrompt(model, requested, flashAttention));
  }
  return { threads: pickThreads(requested, { one, many }, { one: promptOne, many: promptMany }), measured, prompt: { 1: promptOne, [requested]: promptMany } };
}

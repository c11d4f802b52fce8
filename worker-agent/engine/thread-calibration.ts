import type { LlamaModel } from "node-llama-cpp";

// node-llama-cpp's prebuilt CPU binaries are built without OpenMP: ggml's threads meet at barriers by
// spinning, never sleeping. With a thread per free core that is fastest; with fewer free cores than
// threads (2 threads on a 2-core box where Node's own thread and other processes run too) every barrier
// waits for a descheduled thread, and decoding collapses (measured: 0.6 ms/token on 1 thread, 64 tokens
// not done within 2 minutes on 2). The thread count asked for is therefore only used when a short
// timed decode at pool start shows it beating one thread; otherwise the engine runs on one. The
// native build (native-addon/) has OpenMP and does not collapse, but is checked the same way: on a
// busy box one thread can still be the faster choice.

const CALIBRATION_TOKENS = 24;
/** Per candidate: a collapsing thread count shows itself long before this. */
const CALIBRATION_BUDGET_MS = 1500;
/** The larger count must be at least this much faster to be chosen (noise must not pick it). */
const REQUIRED_SPEEDUP = 1.1;

/** Milliseconds per generated token at `threads`, decoding at most CALIBRATION_TOKENS within the budget. */
async function msPerToken(model: LlamaModel, threads: number): Promise<number> {
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads });
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
}

/** `requested` threads if they decode measurably faster than one, else 1. */
export async function chooseThreads(model: LlamaModel, requested: number): Promise<ThreadChoice> {
  if (requested <= 1) return { threads: 1, measured: {} };
  const one = await msPerToken(model, 1);
  const many = await msPerToken(model, requested);
  return { threads: many * REQUIRED_SPEEDUP <= one ? requested : 1, measured: { 1: one, [requested]: many } };
}

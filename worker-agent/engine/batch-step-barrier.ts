import type { LlamaContext } from "node-llama-cpp";

// node-llama-cpp decodes a context's queued sequences in a loop that holds the context lock: after a
// step it samples each sequence's token (one thread-pool job each), hands the tokens back, and at once
// decodes whatever is queued again. A sequence only queues its next decode after its own JS has run
// (the generator, LlamaCompletion / LlamaChat, our token emitter), and the sequence sampled last is
// still in that JS when the loop looks: with 4 streams every step carried 3 of them, the 4th joined the
// next step and another one missed that (docs/PERFORMANCE.md, "Four streams, one decode per step").
// llama-server samples every slot and then decodes them all in one llama_decode.
//
// The loop awaits each item's `afterBatchAction` before it looks at the queue again. This barrier
// wraps that action: when a sequence that got a token in the step has not queued its next decode yet,
// while others have, the step's end waits one event-loop turn (a setImmediate, so every microtask of
// the late sequences has run), then the loop decodes all of them together. It never waits longer: a
// sequence whose JS needs more than a turn (or that ended) joins a later step as before. A lone stream
// is never held (nothing would share its step); its next decode is dispatched anew as before.
//
// `LlamaContext._decodeTokens` and its `afterBatchAction` are internal to node-llama-cpp: this file is
// the one place that uses them, for the exact version pinned in package.json; `attach` reports false
// (and the engine runs without the barrier) when that method is missing.

/** What the barrier reads of one decode request (node-llama-cpp 3.21.1, `LlamaContext._decodeTokens`). */
interface DecodeRequest {
  readonly sequenceId: number;
  readonly afterBatchAction?: (sequenceStateLength: number) => Promise<void> | void;
}
type LogitDataMapper = (batchLogitIndex: number, tokenIndex: number) => unknown;
type DecodeTokens = (request: DecodeRequest, mapper: LogitDataMapper) => Promise<unknown>;

function hasDecodeTokens(context: object): context is { _decodeTokens: DecodeTokens } {
  return "_decodeTokens" in context && typeof context._decodeTokens === "function";
}

/** Holds the end of a batch step one event-loop turn for sequences that have not queued their next decode yet. */
export class BatchStepBarrier {
  /** Sequences that got a token in the current step and have not queued their next decode. */
  private readonly stepping = new Set<number>();
  /** Sequences with a decode queued or decoding. */
  private readonly queued = new Set<number>();
  /** Sequences that got a token since the last step ended (the current step's size). */
  private tokensInStep = 0;
  /** What the current step's end waits on; cleared once the next step is dispatched. */
  private held: Promise<void> | undefined;

  /**
   * `afterStep` runs once per shared step, right after the loop has dispatched the next decode (the
   * outbox writes the step's tokens there, token-outbox.ts), with the number of sequences that got a
   * token in the step that ended.
   */
  constructor(private readonly afterStep: (sequences: number) => void) {}

  /** Wraps the context's decode queue; false when this node-llama-cpp has no such internal method. */
  attach(context: LlamaContext): boolean {
    if (!hasDecodeTokens(context)) return false;
    const decode = context._decodeTokens.bind(context);
    context._decodeTokens = (request, mapper) => {
      const id = request.sequenceId;
      this.stepping.delete(id);
      this.queued.add(id);
      const after = request.afterBatchAction;
      const decoding = decode({ ...request, afterBatchAction: (length) => this.afterBatch(after?.(length)) }, (index, tokenIndex) => {
        this.stepping.add(id);
        this.tokensInStep++;
        return mapper(index, tokenIndex);
      });
      // Attached before the sequence awaits `decoding`, so it runs before the sequence can queue again.
      const settled = (): void => void this.queued.delete(id);
      decoding.then(settled, settled);
      return decoding;
    };
    return true;
  }

  private afterBatch(action: Promise<void> | void): Promise<void> | void {
    const held = this.hold();
    if (held === undefined) return action;
    return action instanceof Promise ? action.then(() => held) : held;
  }

  /** Called at each item's after-batch action; decides once per step whether its end waits a turn. */
  private hold(): Promise<void> | undefined {
    if (this.held !== undefined) return this.held;
    if (!this.othersQueued()) {
      this.tokensInStep = 0;
      return undefined;
    }
    const sequences = this.tokensInStep;
    this.tokensInStep = 0;
    this.held =
      this.stepping.size === 0
        ? Promise.resolve()
        : new Promise((resolve) =>
            setImmediate(() => {
              // Still in their JS after a whole turn (or ended): they join a later step.
              this.stepping.clear();
              resolve();
            }),
          );
    // Queued after the release above, so it runs once the loop has dispatched the next decode.
    setImmediate(() => {
      this.held = undefined;
      this.afterStep(sequences);
    });
    return this.held;
  }

  /** Some sequence other than those still in their JS has a decode queued: the loop goes on, and can take them along. */
  private othersQueued(): boolean {
    for (const id of this.queued) if (!this.stepping.has(id)) return true;
    return false;
  }
}

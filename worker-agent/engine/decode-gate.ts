import type { LlamaContextSequence } from "node-llama-cpp";

// node-llama-cpp's batch loop holds the context lock for as long as any sequence has a decode
// queued, and every KV-cache edit (erasing a sequence's tokens) needs that same lock. With two or
// more sequences generating, the loop never lets go, so an edit waits until generation ends.
// llama-server edits slots between batch steps; this gate does the same: while an edit is
// pending, no sequence queues its next decode, the loop drains after the step in flight and
// releases the lock, the edit (already first in the lock's FIFO) runs, and decoding resumes.

/** Pauses every attached sequence's next decode while a KV-cache edit is pending. */
export class DecodeGate {
  private readonly pendingEdits = new Set<Promise<unknown>>();

  /** Edits waiting for (or holding) the context lock. */
  get pending(): number {
    return this.pendingEdits.size;
  }

  /** Resolves once no edit is pending. */
  async whenOpen(): Promise<void> {
    while (this.pendingEdits.size > 0) await Promise.allSettled([...this.pendingEdits]);
  }

  /**
   * Runs a KV-cache edit with decoding paused. `run` must take the context lock synchronously
   * (node-llama-cpp's erase methods queue on it before their first await), so the edit is ahead of
   * the next batch in the lock's queue.
   */
  async edit<T>(run: () => Promise<T>): Promise<T> {
    const editing = run();
    this.pendingEdits.add(editing);
    try {
      return await editing;
    } finally {
      this.pendingEdits.delete(editing);
    }
  }

  /** Makes the sequence wait at the gate before each decode it queues (its prompt and every token). */
  attach(sequence: LlamaContextSequence): void {
    const evaluateWithMetadata = sequence.evaluateWithMetadata.bind(sequence);
    // evaluate() and LlamaCompletion / LlamaChat all go through evaluateWithMetadata.
    const gated: LlamaContextSequence["evaluateWithMetadata"] = (tokens, metadata, options) => this.gateSteps(evaluateWithMetadata(tokens, metadata, options));
    sequence.evaluateWithMetadata = gated;
  }

  private async *gateSteps<T, TNext>(steps: AsyncGenerator<T, void, TNext>): AsyncGenerator<T, void, TNext> {
    let input: TNext | undefined;
    try {
      for (;;) {
        // Checked before awaiting: an await per token costs microtask turns on the decode path.
        if (this.pendingEdits.size > 0) await this.whenOpen();
        // Pass on what our caller sent (a replacement token); nothing on the first step.
        const step = input === undefined ? await steps.next() : await steps.next(input);
        if (step.done === true) return;
        input = yield step.value;
      }
    } finally {
      await steps.return(undefined);
    }
  }
}

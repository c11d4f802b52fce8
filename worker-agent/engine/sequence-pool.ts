import type { LlamaContextSequence } from "node-llama-cpp";
import type { DecodeGate } from "./decode-gate.js";

/**
 * The context's sequences, handed out clean. A released sequence is erased at once (through the
 * decode gate, between two batch steps) and then goes back to the clean list, so a new task
 * starts decoding without touching the context lock: an empty sequence needs no erase, and its
 * prompt joins the running batch at the next step.
 */
export class SequencePool {
  private readonly clean: LlamaContextSequence[] = [];
  private erasing = 0;
  private readonly waiters: ((sequence: LlamaContextSequence) => void)[] = [];

  constructor(
    sequences: readonly LlamaContextSequence[],
    private readonly gate: DecodeGate,
    private readonly onEraseError: (error: unknown) => void,
  ) {
    for (const sequence of sequences) {
      gate.attach(sequence);
      this.clean.push(sequence);
    }
  }

  /** Sequences not handed out (clean, or being erased and not yet promised to a waiter). */
  get free(): number {
    return this.clean.length + this.erasing - this.waiters.length;
  }

  /**
   * A clean sequence: at once, or when one being erased is done (one batch step at most).
   * Undefined when every sequence is handed out: the parent's slot accounting is off.
   */
  take(): Promise<LlamaContextSequence> | undefined {
    const sequence = this.clean.pop();
    if (sequence !== undefined) return Promise.resolve(sequence);
    if (this.free <= 0) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Erases the sequence's tokens and makes it available again. */
  release(sequence: LlamaContextSequence): void {
    if (sequence.nextTokenIndex === 0) {
      this.handOver(sequence);
      return;
    }
    this.erasing++;
    void this.gate
      .edit(() => sequence.clearHistory())
      .catch((error: unknown) => {
        // A failed erase leaves tokens behind; node-llama-cpp realigns (erases) them on next use.
        this.onEraseError(error);
      })
      .finally(() => {
        this.erasing--;
        this.handOver(sequence);
      });
  }

  private handOver(sequence: LlamaContextSequence): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(sequence);
    else this.clean.push(sequence);
  }
}

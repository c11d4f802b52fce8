import type { LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";

// Embeddings come from a separate embedding context of the pool's model, made on first use (most
// pools never embed) and used by one task at a time; generation's context is not touched.

export type EmbedResult = { ok: true; tokensIn: number } | { ok: false; code: "CONTEXT_TOO_LONG" | "INTERNAL"; message: string };

export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly contextSize: number,
    private readonly threads: number,
  ) {}

  /** Embeds each input in order, reporting each vector; stops early when `signal` aborts. */
  embed(inputs: readonly string[], signal: AbortSignal, onVector: (index: number, vector: readonly number[], tokens: number) => void): Promise<EmbedResult> {
    const run = this.turn.then(() => this.run(inputs, signal, onVector));
    this.turn = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await (await this.context?.catch(() => undefined))?.dispose();
  }

  private async run(inputs: readonly string[], signal: AbortSignal, onVector: (index: number, vector: readonly number[], tokens: number) => void): Promise<EmbedResult> {
    const counts = inputs.map((text) => this.model.tokenize(text).length);
    const tooLong = counts.findIndex((n) => n > this.contextSize);
    if (tooLong >= 0) return { ok: false, code: "CONTEXT_TOO_LONG", message: `input ${tooLong} is ${counts[tooLong]} tokens, more than the ${this.contextSize}-token embedding context` };
    try {
      this.context ??= this.model.createEmbeddingContext({ contextSize: this.contextSize, threads: this.threads });
      const context = await this.context;
      let tokensIn = 0;
      for (const [index, text] of inputs.entries()) {
        if (signal.aborted) break;
        const embedding = await context.getEmbeddingFor(text);
        tokensIn += counts[index] ?? 0;
        onVector(index, embedding.vector, counts[index] ?? 0);
      }
      return { ok: true, tokensIn };
    } catch (error) {
      this.context = undefined;
      return { ok: false, code: "INTERNAL", message: `embedding failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

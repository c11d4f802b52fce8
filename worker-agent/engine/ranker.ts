import type { LlamaModel, LlamaRankingContext } from "node-llama-cpp";

// Reranking comes from a ranking context of the pool's model (its classification head, `cls.*`
// tensors), made on first use and used by one task at a time, like the embedder. A model without a
// ranking head cannot score: the task fails with a clear INVALID_PARAMS, never with a made-up score.

export type RankResult = { ok: true; tokensIn: number } | { ok: false; code: "INVALID_PARAMS" | "CONTEXT_TOO_LONG" | "INTERNAL"; message: string };

export class Ranker {
  private context: Promise<LlamaRankingContext> | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly contextSize: number,
    private readonly threads: number,
    private readonly modelName: string,
  ) {}

  /** Scores each document against the query, in order; stops early when `signal` aborts. */
  rank(query: string, documents: readonly string[], signal: AbortSignal, onScore: (index: number, score: number, tokens: number) => void): Promise<RankResult> {
    const run = this.turn.then(() => this.run(query, documents, signal, onScore));
    this.turn = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await (await this.context?.catch(() => undefined))?.dispose();
  }

  private async run(query: string, documents: readonly string[], signal: AbortSignal, onScore: (index: number, score: number, tokens: number) => void): Promise<RankResult> {
    // node-llama-cpp's own test: a cls.weight / cls.output.weight tensor (and a separator or template).
    if (!this.model.fileInsights.supportsRanking) return { ok: false, code: "INVALID_PARAMS", message: `model ${this.modelName} has no ranking head (no cls.* classification tensor), so it cannot rerank; serve a reranker model (e.g. a bge-reranker or Qwen3-Reranker GGUF) and send its id` };
    const queryTokens = this.model.tokenize(query).length;
    const counts = documents.map((text) => queryTokens + this.model.tokenize(text).length);
    const tooLong = counts.findIndex((n) => n > this.contextSize);
    if (tooLong >= 0) return { ok: false, code: "CONTEXT_TOO_LONG", message: `query plus document ${tooLong} is ${counts[tooLong]} tokens, more than the ${this.contextSize}-token ranking context` };
    try {
      this.context ??= this.model.createRankingContext({ contextSize: this.contextSize, threads: this.threads });
      const context = await this.context;
      // node-llama-cpp adds the model's separators (or its rerank template) and refuses an input that then
      // fills the context: measured as it measures, such a document is CONTEXT_TOO_LONG, not a failed rank.
      const lengths = documents.map((document) => context.calculateInputLength(query, document));
      const overfull = lengths.findIndex((n) => n >= this.contextSize);
      if (overfull >= 0) return { ok: false, code: "CONTEXT_TOO_LONG", message: `query plus document ${overfull} is ${lengths[overfull]} tokens with the model's separators, more than the ${this.contextSize - 1} that fit the ${this.contextSize}-token ranking context` };
      let tokensIn = 0;
      for (const [index, document] of documents.entries()) {
        if (signal.aborted) break;
        const score = await context.rank(query, document);
        tokensIn += counts[index] ?? 0;
        onScore(index, Math.min(1, Math.max(0, score)), counts[index] ?? 0);
      }
      return { ok: true, tokensIn };
    } catch (error) {
      this.context = undefined;
      return { ok: false, code: "INTERNAL", message: `ranking failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

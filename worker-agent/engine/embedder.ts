import type { LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";

// Embeddings come from a separate embedding context of the pool's model, made on first use (most
// pools never embed) and used by one task at a time; generation's context is not touched.

/** The beginning and end tokens node-llama-cpp may add to each input (resolveBeginningTokenToPrepend / …EndTokenToAppend). */
const SPECIAL_TOKENS = 2;

/**
 * The vector scaled to length 1 (a zero vector stays as it is). OpenAI's embeddings, llama-server's
 * (embd_normalize 2) and Ollama's /api/embed are unit vectors, and clients and vector stores rely on it:
 * they rank by dot product as if it were the cosine, which for unnormalised vectors ranks by length.
 */
export function unitLength(vector: readonly number[]): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 && Number.isFinite(norm) ? vector.map((x) => x / norm) : [...vector];
}

export type EmbedResult = { ok: true; tokensIn: number } | { ok: false; code: "CONTEXT_TOO_LONG" | "INTERNAL"; message: string };

export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly contextSize: number,
    private readonly threads: number,
  ) {}

  /**
   * Embeds each input in order, reporting each vector; stops early when `signal` aborts. `truncate`:
   * an input longer than the context is cut to its first tokens that fit instead of failing.
   */
  embed(inputs: readonly string[], signal: AbortSignal, onVector: (index: number, vector: readonly number[], tokens: number) => void, truncate = false): Promise<EmbedResult> {
    const run = this.turn.then(() => this.run(inputs, signal, onVector, truncate));
    this.turn = run.catch(() => undefined);
    return run;
  }

  /**
   * The most tokens of one input the context embeds: node-llama-cpp adds the model's beginning and end
   * tokens and refuses an input that then fills the context ("longer than the usable context size").
   */
  get maxInputTokens(): number {
    return Math.max(1, this.contextSize - SPECIAL_TOKENS - 1);
  }

  async dispose(): Promise<void> {
    await (await this.context?.catch(() => undefined))?.dispose();
  }

  private async run(inputs: readonly string[], signal: AbortSignal, onVector: (index: number, vector: readonly number[], tokens: number) => void, truncate: boolean): Promise<EmbedResult> {
    const limit = this.maxInputTokens;
    const tokenized = inputs.map((text) => this.model.tokenize(text));
    const tooLong = truncate ? -1 : tokenized.findIndex((tokens) => tokens.length > limit);
    if (tooLong >= 0) return { ok: false, code: "CONTEXT_TOO_LONG", message: `input ${tooLong} is ${tokenized[tooLong]?.length} tokens, more than the ${limit} an input may have in the ${this.contextSize}-token embedding context` };
    try {
      this.context ??= this.model.createEmbeddingContext({ contextSize: this.contextSize, threads: this.threads });
      const context = await this.context;
      let tokensIn = 0;
      for (const [index, all] of tokenized.entries()) {
        if (signal.aborted) break;
        const tokens = all.length > limit ? all.slice(0, limit) : all;
        const embedding = await context.getEmbeddingFor(tokens);
        tokensIn += tokens.length;
        onVector(index, unitLength(embedding.vector), tokens.length);
      }
      return { ok: true, tokensIn };
    } catch (error) {
      this.context = undefined;
      return { ok: false, code: "INTERNAL", message: `embedding failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

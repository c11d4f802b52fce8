import type { Token } from "node-llama-cpp";

/** What the joiner needs of the model: its tokenizer, and detokenization with preceding tokens as context. */
export interface Detokenizer {
  tokenize(text: string): Token[];
  detokenize(tokens: readonly Token[], specialTokens?: boolean, lastTokens?: readonly Token[]): string;
}

/**
 * The join between an assistant prefill and the model's continuation of it. node-llama-cpp detokenizes
 * a response's first token on its own, and SentencePiece-style tokenizers drop a word's leading space
 * there ("▁of" alone is "of"): continuing "test" would give "test" + "of…" = "testof…". The first
 * generated token is detokenized again after the prefill's tokens, and what that adds in front (the
 * space) goes before the first text chunk. node-llama-cpp reports a step's tokens (`onToken`) before
 * their text (`onTextChunk`).
 */
export class PrefillJoiner {
  private missing: string | undefined;
  private joined = false;

  constructor(
    private readonly model: Detokenizer,
    private readonly prefill: string,
  ) {}

  /** Every generated step's tokens; only the first non-empty step matters. */
  tokens(tokens: readonly Token[]): void {
    if (this.missing !== undefined || tokens.length === 0) return;
    const context = this.model.tokenize(this.prefill).slice(-8);
    const alone = this.model.detokenize(tokens);
    const after = this.model.detokenize(tokens, false, context);
    this.missing = after.length > alone.length && after.endsWith(alone) ? after.slice(0, after.length - alone.length) : "";
  }

  /** A text chunk as it should reach the client. */
  text(chunk: string): string {
    if (this.joined || chunk === "" || this.missing === undefined) return chunk;
    this.joined = true;
    return this.missing + chunk;
  }
}

/** The prefill a chat history ends with: the text of its last model turn, when that turn has any. */
export function prefillOf(history: readonly { type: string; response?: readonly unknown[] }[]): string | undefined {
  const last = history[history.length - 1];
  if (last?.type !== "model" || last.response === undefined) return undefined;
  const text = last.response.filter((part): part is string => typeof part === "string").join("");
  return text === "" ? undefined : text;
}

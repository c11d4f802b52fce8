import type { LlamaModel, Token } from "node-llama-cpp";
import { StopScanner } from "./stop-scanner.js";

// node-llama-cpp's LlamaCompletion looks for stop strings in each token detokenized alone, and
// detokenizes its first text chunk without the prompt before it. A SentencePiece model (Llama 2,
// Mistral, Gemma) writes a word's space into the word's token ("▁of"), which detokenized alone loses
// it: a stop string with a space (" of", "\ndef ") never matched, and a completion began without the
// space the model generated ("test of" for " test of", where llama-server answers " test of").

/** Tokens of context each chunk is detokenized after (enough for a multi-token character or word). */
const CONTEXT_TOKENS = 16;
const PROMPT_CONTEXT_CHARS = 256;

/**
 * A completion's text as it streams: each chunk detokenized after the tokens before it (the prompt's,
 * for the first), and cut at the first stop string, found in that text.
 */
export class CompletionText {
  private context: Token[];
  private readonly scanner: StopScanner | undefined;
  /** True once a stop string ended the output; the generation should be stopped. */
  stopped = false;

  constructor(
    private readonly model: LlamaModel,
    prompt: string,
    stops: readonly string[] | undefined,
    private readonly emit: (text: string) => void,
    private readonly onStop: () => void,
  ) {
    // The prompt's end is enough context (and a prompt of a megabyte is not tokenized a second time).
    this.context = prompt === "" ? [] : model.tokenize(prompt.slice(-PROMPT_CONTEXT_CHARS), false).slice(-CONTEXT_TOKENS);
    this.scanner = stops !== undefined && stops.length > 0 ? new StopScanner(stops) : undefined;
  }

  /** Tokens node-llama-cpp released (whole characters). */
  tokens(tokens: readonly Token[]): void {
    if (this.stopped || tokens.length === 0) return;
    const text = this.model.detokenize(tokens, false, this.context);
    this.context = [...this.context, ...tokens].slice(-CONTEXT_TOKENS);
    if (this.scanner === undefined) return this.emit(text);
    const { release, stopped } = this.scanner.push(text);
    if (release !== "") this.emit(release);
    if (stopped) {
      this.stopped = true;
      this.onStop();
    }
  }

  /** The stop string that ended the output, if one did. */
  get matchedStop(): string | undefined {
    return this.scanner?.matched_stop;
  }

  /** The output ended: what a possible stop string's start held back is text after all. */
  end(): void {
    const rest = this.scanner?.flush() ?? "";
    if (rest !== "") this.emit(rest);
  }
}

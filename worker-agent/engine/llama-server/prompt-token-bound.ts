import { ggufFileReader } from "../../catalog/gguf-file-reader.js";

// An upper bound of a prompt's tokens without asking llama-server, so a prompt that surely fits a
// slot skips the /tokenize round trip. It holds for the tokenizers that never make a token out of
// less than one byte of the text: byte-level BPE ("gpt2"), SentencePiece with byte fallback ("llama")
// and RWKV's. Others are left out: T5's ("t5", UGM) normalizes with NFKC, which can turn one 3-byte
// character into 18 (U+FDFA), and an unknown one is not guessed at.
const BOUNDED_TOKENIZERS: ReadonlySet<string> = new Set(["gpt2", "llama", "rwkv"]);

/**
 * Tokens llama-server may add beyond one per UTF-8 byte: BOS and EOS (add_special), the space prefix of
 * SentencePiece vocabularies, and one to spare.
 */
const SPECIAL_TOKENS_AT_MOST = 4;

/** The bound for `text`, in tokens. */
export function promptTokensAtMost(text: string): number {
  return Buffer.byteLength(text, "utf8") + SPECIAL_TOKENS_AT_MOST;
}

/** Whether the model's tokenizer (its GGUF `tokenizer.ggml.model`) keeps to the bound; false when unknown or unreadable. */
export async function tokenizerIsBounded(modelPath: string): Promise<boolean> {
  try {
    const info = await (await ggufFileReader()).readGgufFileInfo(modelPath, { readTensorInfo: false, sourceType: "filesystem", logWarnings: false });
    const model = (info.metadata.tokenizer as { ggml?: { model?: unknown } } | undefined)?.ggml?.model;
    return typeof model === "string" && BOUNDED_TOKENIZERS.has(model);
  } catch {
    return false;
  }
}

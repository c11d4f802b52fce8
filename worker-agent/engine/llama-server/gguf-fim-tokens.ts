import { ggufFileReader } from "../../catalog/gguf-file-reader.js";

// A model's fill-in-the-middle tokens, found as llama.cpp finds them (llama-vocab.cpp): the ids the GGUF
// header names (tokenizer.ggml.fim_*_token_id, or the older prefix/suffix/middle_token_id), else a
// vocabulary token with one of the well-known FIM texts. This process has no llama.cpp model to ask.

export interface FimTokens {
  prefix: number;
  suffix: number;
  /** Absent: the model takes suffix first, then prefix, and generates after that (node-llama-cpp's order). */
  middle: number | undefined;
  /**
   * The tokenizer writes a word's space into the token (SentencePiece's space prefix): the first token
   * generated after the framing then reads without it, as llama.cpp's detokenize (the default engine's) gives it.
   */
  spacePrefix: boolean;
}

const KNOWN_TEXTS = {
  prefix: ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<PRE>", "▁<PRE>", "<｜fim▁begin｜>"],
  suffix: ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<SUF>", "▁<SUF>", "<｜fim▁hole｜>"],
  middle: ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<MID>", "▁<MID>", "<｜fim▁end｜>"],
} as const;

const HEADER_KEYS = {
  prefix: ["fim_pre_token_id", "prefix_token_id"],
  suffix: ["fim_suf_token_id", "suffix_token_id"],
  middle: ["fim_mid_token_id", "middle_token_id"],
} as const;

/** The model's FIM tokens; undefined when it has no prefix or suffix token (a suffix cannot be served). */
export async function ggufFimTokens(modelPath: string): Promise<FimTokens | undefined> {
  let ggml: Record<string, unknown> | undefined;
  try {
    const info = await (await ggufFileReader()).readGgufFileInfo(modelPath, { readTensorInfo: false, sourceType: "filesystem", logWarnings: false });
    ggml = (info.metadata.tokenizer as { ggml?: Record<string, unknown> } | undefined)?.ggml;
  } catch {
    return undefined;
  }
  return fimTokensOf(ggml);
}

/** The FIM tokens of a GGUF header's tokenizer.ggml metadata (what the catalog reports as fill_in_middle too). */
export function fimTokensOf(ggml: Record<string, unknown> | undefined): FimTokens | undefined {
  const tokens = Array.isArray(ggml?.tokens) ? (ggml.tokens as unknown[]) : [];
  const find = (role: keyof typeof HEADER_KEYS): number | undefined => {
    for (const key of HEADER_KEYS[role]) {
      const id = ggml?.[key];
      if (typeof id === "number" && Number.isInteger(id) && id >= 0 && id < tokens.length) return id;
    }
    const texts: readonly string[] = KNOWN_TEXTS[role];
    const index = tokens.findIndex((token) => typeof token === "string" && texts.includes(token));
    return index >= 0 ? index : undefined;
  };
  const prefix = find("prefix");
  const suffix = find("suffix");
  if (prefix === undefined || suffix === undefined) return undefined;
  // llama.cpp's default when the header does not say: on for SentencePiece ("llama") vocabularies.
  const spacePrefix = typeof ggml?.add_space_prefix === "boolean" ? ggml.add_space_prefix : ggml?.model === "llama";
  return { prefix, suffix, middle: find("middle"), spacePrefix };
}

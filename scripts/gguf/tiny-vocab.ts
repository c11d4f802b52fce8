/**
 * A small SentencePiece ("llama" tokenizer model) vocabulary for generated test models.
 *
 * Order: <unk>, <s>, </s>, the 256 byte tokens <0x00>…<0xFF>, optionally the ChatML control tokens,
 * then normal pieces: "▁", single characters, common bigrams and whole words with every "▁"-prefix
 * (SPM only merges through pieces that exist, so the prefixes are required). Anything else
 * falls back to byte tokens, so every UTF-8 string round-trips.
 */

/** llama.cpp token types (tokenizer.ggml.token_type). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
export type TokenTypeId = (typeof TokenType)[keyof typeof TokenType];

export const SPM_SPACE = "\u2581"; // "▁"

export interface TinyVocab {
  tokens: string[];
  scores: number[];
  types: TokenTypeId[];
  unkId: number;
  bosId: number;
  eosId: number;
  /** Ids of the whole-word pieces ("▁cat", "▁hello"…), not their partial prefixes. */
  wordPieceIds: number[];
  /** Fill-in-the-middle control tokens (CodeLlama's <PRE>, <SUF>, <MID>, <EOT>), when asked for. */
  fim?: { pre: number; suf: number; mid: number; eot: number };
}

const CHARS =
  "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + ".,!?;:'\"-()";

const BIGRAMS = ["th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it", "al", "ar"];

const WORDS = [
  "the", "a", "cat", "sat", "on", "mat", "hello", "world", "dog", "big", "small", "red", "blue", "sun", "moon",
  "tree", "and", "is", "of", "to", "in", "it", "yes", "no", "run", "fast", "slow", "good", "day", "night",
  "Hello", "The", "I", "you", "we", "llama", "model", "token", "test",
];

export function buildTinyVocab(options: { chatml: boolean; fim?: boolean }): TinyVocab {
  const tokens: string[] = [];
  const types: TokenTypeId[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: TokenTypeId): number => {
    if (seen.has(piece)) throw new Error(`duplicate vocab piece ${JSON.stringify(piece)}`);
    seen.add(piece);
    tokens.push(piece);
    types.push(type);
    return tokens.length - 1;
  };

  const unkId = add("<unk>", TokenType.unknown);
  const bosId = add("<s>", TokenType.control);
  let eosId = add("</s>", TokenType.control);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TokenType.byte);
  if (options.chatml) {
    add("<|im_start|>", TokenType.control);
    eosId = add("<|im_end|>", TokenType.control);
  }
  const fim = options.fim === true ? { pre: add("<PRE>", TokenType.control), suf: add("<SUF>", TokenType.control), mid: add("<MID>", TokenType.control), eot: add("<EOT>", TokenType.control) } : undefined;
  const firstNormal = tokens.length;

  const normal: string[] = [SPM_SPACE, ...CHARS, ...BIGRAMS];
  for (const word of WORDS) {
    const full = SPM_SPACE + word;
    for (let end = 2; end <= full.length; end++) normal.push(full.slice(0, end));
  }
  const wholeWords = new Set(WORDS.map((w) => SPM_SPACE + w));
  const wordPieceIds: number[] = [];
  for (const piece of normal) {
    if (seen.has(piece)) continue; // prefixes repeat across words ("▁t" from "the" and "to")
    const id = add(piece, TokenType.normal);
    if (wholeWords.has(piece)) wordPieceIds.push(id);
  }

  // SPM merge priority: higher score merges first. Specials and bytes score 0, pieces -rank.
  const scores = tokens.map((_, id) => (id < firstNormal ? 0 : -(id - firstNormal)));
  return { tokens, scores, types, unkId, bosId, eosId, wordPieceIds, ...(fim !== undefined ? { fim } : {}) };
}

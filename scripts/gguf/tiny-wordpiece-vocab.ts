/**
 * A small BERT WordPiece vocabulary (tokenizer.ggml.model "bert") for generated reranker models.
 *
 * Layout follows bert-base-uncased where llama.cpp has defaults: [PAD] 0, [unusedN] 1…99, [UNK] 100,
 * [CLS] 101, [SEP] 102, [MASK] 103, then normal pieces. As convert_hf_to_gguf.py writes them, a
 * word-initial piece carries the "▁" prefix and a continuation piece ("##s" in HF) is bare. Every
 * single character exists in both forms, so any ASCII word tokenizes (longest match first); other
 * characters become [UNK].
 */
import { SPM_SPACE, TokenType, type TokenTypeId } from "./tiny-vocab.js";

export interface WordPieceVocab {
  tokens: string[];
  types: TokenTypeId[];
  padId: number;
  unkId: number;
  clsId: number;
  sepId: number;
  maskId: number;
}

const CHARS = "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + ".,!?;:'\"-()";

const WORDS = [
  "the", "a", "cat", "sat", "on", "mat", "hello", "world", "dog", "big", "small", "red", "blue", "sun", "moon",
  "tree", "and", "is", "of", "to", "in", "it", "what", "where", "how", "capital", "france", "paris", "city",
  "river", "llama", "model", "rank", "query", "document", "fish", "swim", "water", "bird", "fly", "sky",
];

const SUFFIXES = ["s", "ed", "ing", "er", "ly"];

export function buildWordPieceVocab(): WordPieceVocab {
  const tokens: string[] = [];
  const types: TokenTypeId[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: TokenTypeId): number => {
    if (seen.has(piece)) return tokens.indexOf(piece);
    seen.add(piece);
    tokens.push(piece);
    types.push(type);
    return tokens.length - 1;
  };
  const padId = add("[PAD]", TokenType.control);
  for (let i = 1; i < 100; i++) add(`[unused${i}]`, TokenType.unused);
  const unkId = add("[UNK]", TokenType.unknown);
  const clsId = add("[CLS]", TokenType.control);
  const sepId = add("[SEP]", TokenType.control);
  const maskId = add("[MASK]", TokenType.control);
  for (const c of CHARS) {
    add(SPM_SPACE + c, TokenType.normal);
    add(c, TokenType.normal);
  }
  for (const w of WORDS) add(SPM_SPACE + w, TokenType.normal);
  for (const s of SUFFIXES) add(s, TokenType.normal);
  return { tokens, types, padId, unkId, clsId, sepId, maskId };
}

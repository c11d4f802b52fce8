/**
 * The generated "bert" reranker: a BERT encoder with llama.cpp's classification head, so
 * `pooling_type = rank` scores a [CLS] query [SEP] document input with one logit.
 *
 * What llama.cpp (llama_model_bert::load_arch_tensors, llama-vocab.cpp "bert") requires, and why each
 * piece is here: token_embd, position_embd [E, n_ctx_train] (BERT adds learned positions),
 * token_types [E, tokenizer.ggml.token_type_count] (the loader refuses a count of 0), the embedding
 * LayerNorm, per layer q/k/v/output (+ biases: older builds require them) with the post-attention and
 * post-FFN LayerNorms, a GELU FFN (up/down, no gate), and the head `cls` [E, E] + tanh then
 * `cls.output` [E, 1]. node-llama-cpp reports `supportsRanking` from cls.* plus a [SEP] token and
 * applies a sigmoid to the logit, so scores land in (0, 1). Weights are random (seeded), so scores
 * are deterministic but carry no meaning.
 */
import { encodeGguf, type GgufKv, type GgufTensor } from "./gguf-writer.js";
import { mulberry32 } from "./prng.js";
import { randomMatrix, toTensor } from "./tensor-init.js";
import type { TinyModelSpec } from "./tiny-llama-model.js";
import { buildWordPieceVocab, type WordPieceVocab } from "./tiny-wordpiece-vocab.js";

/** llama.cpp's LLAMA_POOLING_TYPE_RANK. */
export const POOLING_TYPE_RANK = 4;
const TOKEN_TYPE_COUNT = 2;

function buildTensors(spec: TinyModelSpec, vocab: WordPieceVocab): GgufTensor[] {
  const rand = mulberry32(spec.seed);
  const E = spec.embd;
  const V = vocab.tokens.length;
  const t = spec.type;
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const zeros = (n: number): Float32Array => new Float32Array(n);
  const tensors: GgufTensor[] = [];
  const norm = (name: string): void => {
    tensors.push(toTensor(`${name}.weight`, [E], ones(E), "f32"));
    tensors.push(toTensor(`${name}.bias`, [E], zeros(E), "f32"));
  };
  const linear = (name: string, fanIn: number, out: number): void => {
    tensors.push(toTensor(`${name}.weight`, [fanIn, out], randomMatrix(rand, [fanIn, out]), t));
    tensors.push(toTensor(`${name}.bias`, [out], zeros(out), "f32"));
  };

  tensors.push(toTensor("token_embd.weight", [E, V], randomMatrix(rand, [E, V]), t));
  tensors.push(toTensor("token_types.weight", [E, TOKEN_TYPE_COUNT], randomMatrix(rand, [E, TOKEN_TYPE_COUNT]), "f32"));
  tensors.push(toTensor("position_embd.weight", [E, spec.ctx], randomMatrix(rand, [E, spec.ctx]), t));
  norm("token_embd_norm");
  for (let l = 0; l < spec.layers; l++) {
    const p = `blk.${l}.`;
    linear(`${p}attn_q`, E, E);
    linear(`${p}attn_k`, E, E);
    linear(`${p}attn_v`, E, E);
    linear(`${p}attn_output`, E, E);
    norm(`${p}attn_output_norm`);
    linear(`${p}ffn_up`, E, spec.ff);
    linear(`${p}ffn_down`, spec.ff, E);
    norm(`${p}layer_output_norm`);
  }
  linear("cls", E, E);
  linear("cls.output", E, 1);
  return tensors;
}

function buildMetadata(spec: TinyModelSpec, vocab: WordPieceVocab): GgufKv[] {
  const u32 = (key: string, value: number): GgufKv => ({ key, value: { type: "u32", value } });
  return [
    { key: "general.architecture", value: { type: "string", value: "bert" } },
    { key: "general.name", value: { type: "string", value: spec.name } },
    u32("general.alignment", 32),
    u32("general.file_type", spec.type === "f32" ? 0 : 1),
    u32("bert.context_length", spec.ctx),
    u32("bert.embedding_length", spec.embd),
    u32("bert.block_count", spec.layers),
    u32("bert.feed_forward_length", spec.ff),
    u32("bert.attention.head_count", spec.heads),
    { key: "bert.attention.layer_norm_epsilon", value: { type: "f32", value: 1e-12 } },
    { key: "bert.attention.causal", value: { type: "bool", value: false } },
    u32("bert.pooling_type", POOLING_TYPE_RANK),
    { key: "tokenizer.ggml.model", value: { type: "string", value: "bert" } },
    { key: "tokenizer.ggml.tokens", value: { type: "string[]", value: vocab.tokens } },
    { key: "tokenizer.ggml.token_type", value: { type: "i32[]", value: vocab.types } },
    u32("tokenizer.ggml.token_type_count", TOKEN_TYPE_COUNT),
    u32("tokenizer.ggml.unknown_token_id", vocab.unkId),
    u32("tokenizer.ggml.bos_token_id", vocab.clsId),
    u32("tokenizer.ggml.seperator_token_id", vocab.sepId), // llama.cpp's spelling
    u32("tokenizer.ggml.padding_token_id", vocab.padId),
    u32("tokenizer.ggml.mask_token_id", vocab.maskId),
    u32("tokenizer.ggml.cls_token_id", vocab.clsId),
    { key: "tokenizer.ggml.add_bos_token", value: { type: "bool", value: true } },
    { key: "tokenizer.ggml.add_eos_token", value: { type: "bool", value: false } },
  ];
}

/** Encodes the reranker for a resolved spec (arch "bert-reranker"). Pure and deterministic. */
export function encodeTinyBertReranker(spec: TinyModelSpec): Uint8Array {
  const vocab = buildWordPieceVocab();
  return encodeGguf({ kvs: buildMetadata(spec, vocab), tensors: buildTensors(spec, vocab), alignment: 32 });
}

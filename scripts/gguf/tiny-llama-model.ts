/**
 * Shapes, weights and metadata of the generated random "llama" models, and `makeTinyGguf`,
 * the pure deterministic generator (same options → byte-identical output).
 *
 * "Suppress" shaping (on by default) keeps residual dimension 0 constant (embedding column 0 = 4,
 * the attn_output / ffn_down rows writing dimension 0 are zero), so column 0 of output.weight acts
 * as a per-token logit bias: control, unknown and byte tokens get -10 (the model never emits EOS,
 * BOS or broken UTF-8) and whole-word pieces get +0.6 (the text looks like words).
 */
import { encodeGguf, type GgufKv, type GgufTensor } from "./gguf-writer.js";
import { mulberry32 } from "./prng.js";
import { randomMatrix, toTensor } from "./tensor-init.js";
import { encodeTinyBertReranker } from "./tiny-bert-reranker.js";
import { buildTinyVocab, TokenType, type TinyVocab } from "./tiny-vocab.js";

export const MODEL_SIZES = ["tiny", "medium", "big"] as const;
export type ModelSize = (typeof MODEL_SIZES)[number];
export const WEIGHT_TYPES = ["f32", "f16"] as const;
export type WeightType = (typeof WEIGHT_TYPES)[number];
export const CHAT_TEMPLATES = ["chatml", "none"] as const;
export type ChatTemplateKind = (typeof CHAT_TEMPLATES)[number];
/** `llama`: a generative decoder; `bert-reranker`: a BERT encoder with a ranking head (tiny-bert-reranker.ts). */
export const MODEL_ARCHS = ["llama", "bert-reranker"] as const;
export type ModelArch = (typeof MODEL_ARCHS)[number];
export const MODEL_DEFECTS = ["missing-feed-forward-length", "truncated"] as const;
/**
 * Deliberately broken outputs: `missing-feed-forward-length` makes llama.cpp abort the whole
 * process on load (GGML_ASSERT, uncatchable); `truncated` cuts the file short in the tensor data.
 */
export type ModelDefect = (typeof MODEL_DEFECTS)[number];

export interface ModelShape {
  embd: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
}

export const SIZE_PRESETS: Readonly<Record<ModelSize, Readonly<ModelShape & { type: WeightType }>>> = {
  tiny: { embd: 64, layers: 2, heads: 4, kvHeads: 4, ff: 256, type: "f32" },
  medium: { embd: 256, layers: 4, heads: 8, kvHeads: 8, ff: 768, type: "f16" },
  big: { embd: 512, layers: 8, heads: 8, kvHeads: 8, ff: 1536, type: "f16" },
};

export const DEFAULT_SEED = 42;
export const DEFAULT_CONTEXT_LENGTH = 512;

export interface TinyGgufOptions {
  /** Architecture; default "llama". */
  arch?: ModelArch;
  /** Preset shape; default "tiny". */
  size?: ModelSize;
  /** Overrides individual dimensions of the preset. */
  shape?: Partial<ModelShape>;
  /** Weight matrix type; default from the preset (norms are always F32). */
  type?: WeightType;
  /** PRNG seed, an integer in [0, 2^32); default 42. Different seeds give different weights. */
  seed?: number;
  /** llama.context_length; default 512. */
  ctx?: number;
  /** "chatml" adds <|im_start|>/<|im_end|> and a ChatML tokenizer.chat_template; default "none". */
  chatTemplate?: ChatTemplateKind;
  /** general.name; default `tiny-random-llama-<size>`. */
  name?: string;
  /** Logit-bias shaping (see module doc); default true. */
  suppress?: boolean;
  /** Fill-in-the-middle tokens (<PRE>, <SUF>, <MID>, <EOT>) and their tokenizer.ggml.fim_* ids; default false. */
  fim?: boolean;
  defect?: ModelDefect;
}

export interface TinyModelSpec extends ModelShape {
  arch: ModelArch;
  size: ModelSize;
  type: WeightType;
  seed: number;
  ctx: number;
  chatTemplate: ChatTemplateKind;
  name: string;
  suppress: boolean;
  fim: boolean;
  defect: ModelDefect | undefined;
}

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const isPositiveInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** Fills in defaults and validates; throws a RangeError with a readable message on bad options. */
export function resolveTinyModelSpec(options: TinyGgufOptions = {}): TinyModelSpec {
  const size = options.size ?? "tiny";
  const preset = SIZE_PRESETS[size];
  if (!preset) throw new RangeError(`unknown size ${JSON.stringify(size)} (expected ${MODEL_SIZES.join(", ")})`);
  const arch = options.arch ?? "llama";
  if (!(MODEL_ARCHS as readonly string[]).includes(arch)) throw new RangeError(`unknown arch ${JSON.stringify(arch)} (expected ${MODEL_ARCHS.join(", ")})`);
  const spec: TinyModelSpec = {
    arch,
    size,
    embd: options.shape?.embd ?? preset.embd,
    layers: options.shape?.layers ?? preset.layers,
    heads: options.shape?.heads ?? preset.heads,
    kvHeads: options.shape?.kvHeads ?? options.shape?.heads ?? preset.kvHeads,
    ff: options.shape?.ff ?? preset.ff,
    type: options.type ?? preset.type,
    seed: options.seed ?? DEFAULT_SEED,
    ctx: options.ctx ?? DEFAULT_CONTEXT_LENGTH,
    chatTemplate: options.chatTemplate ?? "none",
    name: options.name ?? (arch === "llama" ? `tiny-random-llama-${size}` : `tiny-random-bert-reranker-${size}`),
    suppress: options.suppress ?? true,
    fim: options.fim ?? false,
    defect: options.defect,
  };
  for (const key of ["embd", "layers", "heads", "kvHeads", "ff", "ctx"] as const) {
    if (!isPositiveInt(spec[key])) throw new RangeError(`${key} must be a positive integer, got ${spec[key]}`);
  }
  if (spec.embd % spec.heads !== 0) throw new RangeError(`embd (${spec.embd}) must be divisible by heads (${spec.heads})`);
  if (spec.heads % spec.kvHeads !== 0) throw new RangeError(`heads (${spec.heads}) must be divisible by kvHeads (${spec.kvHeads})`);
  if ((spec.embd / spec.heads) % 2 !== 0) throw new RangeError(`head dimension embd/heads must be even for RoPE`);
  if (!Number.isInteger(spec.seed) || spec.seed < 0 || spec.seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 4294967295], got ${spec.seed}`);
  }
  if (!(WEIGHT_TYPES as readonly string[]).includes(spec.type)) throw new RangeError(`unknown type ${JSON.stringify(spec.type)}`);
  if (!(CHAT_TEMPLATES as readonly string[]).includes(spec.chatTemplate)) {
    throw new RangeError(`unknown chat template ${JSON.stringify(spec.chatTemplate)}`);
  }
  if (spec.defect !== undefined && !(MODEL_DEFECTS as readonly string[]).includes(spec.defect)) {
    throw new RangeError(`unknown defect ${JSON.stringify(spec.defect)}`);
  }
  if (spec.name.length === 0) throw new RangeError("name must not be empty");
  if (spec.arch === "bert-reranker") {
    // BERT has no grouped-query attention, no chat template and no llama-specific defects.
    if (spec.kvHeads !== spec.heads) throw new RangeError(`bert-reranker needs kvHeads equal to heads (${spec.heads}), got ${spec.kvHeads}`);
    if (spec.chatTemplate !== "none") throw new RangeError("bert-reranker has no chat template (it is not a generative model)");
    if (spec.defect === "missing-feed-forward-length") throw new RangeError("defect missing-feed-forward-length applies to llama models only");
  }
  return spec;
}

/** Number of weights (parameters) of a model with this shape and vocabulary size. */
export function countParameters(shape: ModelShape, vocabSize: number): number {
  const hd = shape.embd / shape.heads;
  const perLayer =
    2 * shape.embd + // norms
    shape.embd * shape.heads * hd * 2 + // q, output
    shape.embd * shape.kvHeads * hd * 2 + // k, v
    shape.embd * shape.ff * 3; // gate, up, down
  return 2 * shape.embd * vocabSize + shape.layers * perLayer + shape.embd;
}

function outputBias(vocab: TinyVocab, id: number): number {
  const type = vocab.types[id];
  if (type === TokenType.control || type === TokenType.unknown || type === TokenType.byte) return -10;
  return 0;
}

function buildTensors(spec: TinyModelSpec, vocab: TinyVocab): GgufTensor[] {
  const rand = mulberry32(spec.seed);
  const E = spec.embd;
  const V = vocab.tokens.length;
  const hd = E / spec.heads;
  const qDim = spec.heads * hd;
  const kvDim = spec.kvHeads * hd;
  const t = spec.type;
  const ones = (): Float32Array => new Float32Array(E).fill(1);
  const tensors: GgufTensor[] = [];

  const embd = randomMatrix(rand, [E, V]);
  if (spec.suppress) for (let v = 0; v < V; v++) embd[v * E] = 4;
  tensors.push(toTensor("token_embd.weight", [E, V], embd, t));

  for (let l = 0; l < spec.layers; l++) {
    const p = `blk.${l}.`;
    tensors.push(toTensor(`${p}attn_norm.weight`, [E], ones(), "f32"));
    tensors.push(toTensor(`${p}attn_q.weight`, [E, qDim], randomMatrix(rand, [E, qDim]), t));
    tensors.push(toTensor(`${p}attn_k.weight`, [E, kvDim], randomMatrix(rand, [E, kvDim]), t));
    tensors.push(toTensor(`${p}attn_v.weight`, [E, kvDim], randomMatrix(rand, [E, kvDim]), t));
    const attnOut = randomMatrix(rand, [qDim, E]);
    if (spec.suppress) attnOut.fill(0, 0, qDim); // output row 0 → residual dim 0 stays constant
    tensors.push(toTensor(`${p}attn_output.weight`, [qDim, E], attnOut, t));
    tensors.push(toTensor(`${p}ffn_norm.weight`, [E], ones(), "f32"));
    tensors.push(toTensor(`${p}ffn_gate.weight`, [E, spec.ff], randomMatrix(rand, [E, spec.ff]), t));
    tensors.push(toTensor(`${p}ffn_up.weight`, [E, spec.ff], randomMatrix(rand, [E, spec.ff]), t));
    const down = randomMatrix(rand, [spec.ff, E]);
    if (spec.suppress) down.fill(0, 0, spec.ff);
    tensors.push(toTensor(`${p}ffn_down.weight`, [spec.ff, E], down, t));
  }

  tensors.push(toTensor("output_norm.weight", [E], ones(), "f32"));
  const output = randomMatrix(rand, [E, V]);
  if (spec.suppress) {
    for (let v = 0; v < V; v++) output[v * E] = outputBias(vocab, v);
    for (const id of vocab.wordPieceIds) output[id * E] = 0.6;
  }
  tensors.push(toTensor("output.weight", [E, V], output, t));
  return tensors;
}

function buildMetadata(spec: TinyModelSpec, vocab: TinyVocab): GgufKv[] {
  const chatml = spec.chatTemplate === "chatml";
  const u32 = (key: string, value: number): GgufKv => ({ key, value: { type: "u32", value } });
  const kvs: GgufKv[] = [
    { key: "general.architecture", value: { type: "string", value: "llama" } },
    { key: "general.name", value: { type: "string", value: spec.name } },
    u32("general.alignment", 32),
    u32("general.file_type", spec.type === "f32" ? 0 : 1),
    u32("llama.context_length", spec.ctx),
    u32("llama.embedding_length", spec.embd),
    u32("llama.block_count", spec.layers),
    u32("llama.feed_forward_length", spec.ff),
    u32("llama.attention.head_count", spec.heads),
    u32("llama.attention.head_count_kv", spec.kvHeads),
    { key: "llama.attention.layer_norm_rms_epsilon", value: { type: "f32", value: 1e-5 } },
    u32("llama.rope.dimension_count", spec.embd / spec.heads),
    { key: "llama.rope.freq_base", value: { type: "f32", value: 10000 } },
    u32("llama.vocab_size", vocab.tokens.length),
    { key: "tokenizer.ggml.model", value: { type: "string", value: "llama" } },
    { key: "tokenizer.ggml.tokens", value: { type: "string[]", value: vocab.tokens } },
    { key: "tokenizer.ggml.scores", value: { type: "f32[]", value: vocab.scores } },
    { key: "tokenizer.ggml.token_type", value: { type: "i32[]", value: vocab.types } },
    u32("tokenizer.ggml.unknown_token_id", vocab.unkId),
    u32("tokenizer.ggml.bos_token_id", vocab.bosId),
    u32("tokenizer.ggml.eos_token_id", vocab.eosId),
    { key: "tokenizer.ggml.add_bos_token", value: { type: "bool", value: true } },
    { key: "tokenizer.ggml.add_eos_token", value: { type: "bool", value: false } },
    // With a space prefix llama.cpp would insert "▁" after every special token ("<|im_start|> user").
    { key: "tokenizer.ggml.add_space_prefix", value: { type: "bool", value: !chatml } },
  ];
  if (chatml) kvs.push({ key: "tokenizer.chat_template", value: { type: "string", value: CHATML_TEMPLATE } });
  if (vocab.fim !== undefined) {
    kvs.push(u32("tokenizer.ggml.fim_pre_token_id", vocab.fim.pre), u32("tokenizer.ggml.fim_suf_token_id", vocab.fim.suf), u32("tokenizer.ggml.fim_mid_token_id", vocab.fim.mid), u32("tokenizer.ggml.eot_token_id", vocab.fim.eot));
  }
  if (spec.defect === "missing-feed-forward-length") return kvs.filter((kv) => kv.key !== "llama.feed_forward_length");
  return kvs;
}

function encodeTinyLlama(spec: TinyModelSpec): Uint8Array {
  const vocab = buildTinyVocab({ chatml: spec.chatTemplate === "chatml", fim: spec.fim });
  return encodeGguf({ kvs: buildMetadata(spec, vocab), tensors: buildTensors(spec, vocab), alignment: 32 });
}

/** Generates a complete GGUF file in memory. Pure and deterministic. */
export function makeTinyGguf(options: TinyGgufOptions = {}): Uint8Array {
  const spec = resolveTinyModelSpec(options);
  const bytes = spec.arch === "bert-reranker" ? encodeTinyBertReranker(spec) : encodeTinyLlama(spec);
  if (spec.defect === "truncated") return bytes.slice(0, Math.floor(bytes.length * 0.6));
  return bytes;
}

import { readFileSync } from "node:fs";
import { z } from "zod";

// Whether a CPU context decodes with llama.cpp's flash attention. node-llama-cpp's default ("auto")
// turns it on whenever the backend supports it, which on CPU is always. Profiled (docs/PERFORMANCE.md,
// "Flash attention on CPU: the prebuilt's 1.7×"): ggml's CPU flash-attention kernel decodes a token
// (one query row) with ggml_vec_dot_f16 (K·Q) and ggml_vec_mad_f16 into an F16 accumulator, whose SIMD
// loops take GGML_F16_STEP elements at a time (64 on AVX-512 builds) and leave the rest of each head
// to a scalar loop with a table lookup and a software fp32→fp16 conversion per element. With a head
// size that is not a multiple of 64, part of every head runs that loop for every cached token: up to
// 2.1× the CPU per token at 512 tokens and 3.7× after a 2,000-token prompt on the prebuilt binary
// (GCC 11 leaves the loop scalar; -march=native builds get it auto-vectorised, and still lose).
// Without flash attention, attention is two matrix products (SIMD over the cache's length); prompts
// then cost 1.3–1.6× the CPU (flash attention's tiled prompt path is SIMD), repaid within 30–90
// decoded tokens. Head sizes that are multiples of 64 (most real models: 64, 128) keep "auto": there
// turning it off gained nothing at 512 tokens and cost prompts 1.24–1.41×. Measured on AVX-512 x64
// only; other CPUs keep "auto".

/** What createContext takes as `flashAttention`. */
export type FlashAttentionOption = "auto" | boolean;

/** An operator's choice from LLORCH_ENGINE_FLASH_ATTENTION: llama.cpp's own (`auto`), or forced. */
const OverrideSchema = z.enum(["auto", "on", "off"]);
export type FlashAttentionOverride = z.infer<typeof OverrideSchema>;

/** The elements ggml's F16 vector loops take per step on AVX-512F (simd-mappings.h, GGML_F16_STEP). */
export const AVX512_F16_STEP = 64;

/** Attention head sizes from a GGUF's architecture metadata, as llama.cpp derives them. */
export function attentionHeadSizes(metadata: {
  embedding_length?: number;
  attention?: { head_count?: number | readonly number[]; key_length?: number; value_length?: number };
}): { key: number; value: number } | undefined {
  const heads = metadata.attention?.head_count;
  // Per-layer head counts (an array) leave the derived size ambiguous; an explicit length is enough.
  const derived = typeof heads === "number" && heads > 0 && metadata.embedding_length !== undefined ? metadata.embedding_length / heads : undefined;
  const key = metadata.attention?.key_length ?? derived;
  const value = metadata.attention?.value_length ?? derived;
  return key === undefined || value === undefined ? undefined : { key, value };
}

export interface FlashAttentionInput {
  /** The context decodes on CPU (node-llama-cpp's `llama.gpu === false`). */
  cpu: boolean;
  /** process.arch */
  arch: string;
  /** This CPU's instruction-set flags (/proc/cpuinfo); empty when unknown. */
  cpuFlags: ReadonlySet<string>;
  heads: { key: number; value: number } | undefined;
  override: FlashAttentionOverride | undefined;
}

/** The flash-attention option for the pool's context, and why when it is not node-llama-cpp's default. */
export function chooseFlashAttention(input: FlashAttentionInput): { option: FlashAttentionOption; reason?: string } {
  if (input.override === "on") return { option: true, reason: "LLORCH_ENGINE_FLASH_ATTENTION=on" };
  if (input.override === "off") return { option: false, reason: "LLORCH_ENGINE_FLASH_ATTENTION=off" };
  if (input.override === "auto") return { option: "auto" };
  const { heads } = input;
  // AVX512-FP16 builds step 128 at a time (not measured); AVX2 builds step 32 (heads of 32 measured even).
  const avx512 = input.arch === "x64" && input.cpuFlags.has("avx512f") && !input.cpuFlags.has("avx512fp16");
  if (!input.cpu || !avx512 || heads === undefined) return { option: "auto" };
  if (heads.key % AVX512_F16_STEP === 0 && heads.value % AVX512_F16_STEP === 0) return { option: "auto" };
  return {
    option: false,
    reason: `attention head size ${heads.key === heads.value ? heads.key : `${heads.key}/${heads.value}`} is not a multiple of ${AVX512_F16_STEP}: ggml's CPU flash attention decodes part of each head in scalar code on AVX-512`,
  };
}

/** LLORCH_ENGINE_FLASH_ATTENTION (auto | on | off); an invalid value is reported and ignored. */
export function flashAttentionOverride(env: NodeJS.ProcessEnv, warn: (message: string) => void): FlashAttentionOverride | undefined {
  const raw = env["LLORCH_ENGINE_FLASH_ATTENTION"];
  if (raw === undefined || raw.trim() === "") return undefined;
  const parsed = OverrideSchema.safeParse(raw.trim().toLowerCase());
  if (parsed.success) return parsed.data;
  warn(`LLORCH_ENGINE_FLASH_ATTENTION=${raw} is not one of auto, on, off; the engine decides`);
  return undefined;
}

/** This CPU's flags from /proc/cpuinfo (empty off Linux). */
export function cpuFlags(): ReadonlySet<string> {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
    return new Set(flags === undefined ? [] : flags.trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

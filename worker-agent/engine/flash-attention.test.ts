// The CPU flash-attention choice: off only where ggml's decode kernel runs part of every head in scalar
// code (AVX-512 x64, a head size that is not a multiple of 64); everything else keeps llama.cpp's own
// choice; an operator's LLORCH_ENGINE_FLASH_ATTENTION wins.
import { describe, expect, it } from "vitest";
import { attentionHeadSizes, chooseFlashAttention, flashAttentionOverride, type FlashAttentionInput } from "./flash-attention.js";

const AVX512 = new Set(["avx", "avx2", "f16c", "fma", "avx512f", "avx512bw", "avx512vl"]);
const AVX2 = new Set(["avx", "avx2", "f16c", "fma"]);
const base: FlashAttentionInput = { cpu: true, arch: "x64", cpuFlags: AVX512, heads: { key: 32, value: 32 }, override: undefined };
const option = (change: Partial<FlashAttentionInput>): unknown => chooseFlashAttention({ ...base, ...change }).option;

describe("chooseFlashAttention", () => {
  it("turns flash attention off on an AVX-512 CPU when a head size is not a multiple of 64, with the reason", () => {
    const choice = chooseFlashAttention(base);
    expect(choice.option).toBe(false);
    expect(choice.reason).toMatch(/head size 32 is not a multiple of 64/);
    expect(option({ heads: { key: 16, value: 16 } })).toBe(false);
    expect(option({ heads: { key: 80, value: 80 } })).toBe(false);
    expect(option({ heads: { key: 96, value: 96 } })).toBe(false);
    expect(option({ heads: { key: 128, value: 96 } })).toBe(false);
    expect(chooseFlashAttention({ ...base, heads: { key: 192, value: 96 } }).reason).toMatch(/head size 192\/96/);
  });

  it("keeps llama.cpp's choice for head sizes that are multiples of 64", () => {
    for (const size of [64, 128, 256]) expect(chooseFlashAttention({ ...base, heads: { key: size, value: size } })).toEqual({ option: "auto" });
  });

  it("keeps llama.cpp's choice off the measured case: GPU, no AVX-512, AVX512-FP16, other architectures, unknown heads", () => {
    expect(option({ cpu: false })).toBe("auto");
    expect(option({ cpuFlags: AVX2 })).toBe("auto");
    expect(option({ cpuFlags: new Set() })).toBe("auto");
    expect(option({ cpuFlags: new Set([...AVX512, "avx512fp16"]) })).toBe("auto");
    expect(option({ arch: "arm64" })).toBe("auto");
    expect(option({ heads: undefined })).toBe("auto");
  });

  it("an operator's override wins everywhere", () => {
    expect(option({ override: "auto" })).toBe("auto");
    expect(option({ override: "on" })).toBe(true);
    expect(option({ override: "off", heads: { key: 128, value: 128 } })).toBe(false);
    expect(option({ override: "off", cpu: false })).toBe(false);
    expect(chooseFlashAttention({ ...base, override: "on" }).reason).toBe("LLORCH_ENGINE_FLASH_ATTENTION=on");
  });
});

describe("attentionHeadSizes", () => {
  it("derives the head size from the embedding length and head count, as llama.cpp does", () => {
    expect(attentionHeadSizes({ embedding_length: 256, attention: { head_count: 8 } })).toEqual({ key: 32, value: 32 });
  });

  it("prefers explicit key and value lengths", () => {
    expect(attentionHeadSizes({ embedding_length: 2048, attention: { head_count: 8, key_length: 192, value_length: 128 } })).toEqual({ key: 192, value: 128 });
    expect(attentionHeadSizes({ attention: { head_count: [8, 8], key_length: 64, value_length: 64 } })).toEqual({ key: 64, value: 64 });
  });

  it("is unknown without enough metadata (per-layer head counts, no heads, no embedding length)", () => {
    expect(attentionHeadSizes({ embedding_length: 256, attention: { head_count: [8, 4] } })).toBeUndefined();
    expect(attentionHeadSizes({ embedding_length: 256, attention: { head_count: 0 } })).toBeUndefined();
    expect(attentionHeadSizes({ attention: { head_count: 8 } })).toBeUndefined();
    expect(attentionHeadSizes({})).toBeUndefined();
  });
});

describe("flashAttentionOverride", () => {
  it("reads auto, on and off (any case), and nothing when unset or empty", () => {
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);
    expect(flashAttentionOverride({ LLORCH_ENGINE_FLASH_ATTENTION: "off" }, warn)).toBe("off");
    expect(flashAttentionOverride({ LLORCH_ENGINE_FLASH_ATTENTION: " ON " }, warn)).toBe("on");
    expect(flashAttentionOverride({ LLORCH_ENGINE_FLASH_ATTENTION: "auto" }, warn)).toBe("auto");
    expect(flashAttentionOverride({}, warn)).toBeUndefined();
    expect(flashAttentionOverride({ LLORCH_ENGINE_FLASH_ATTENTION: " " }, warn)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("reports an invalid value and leaves the choice to the engine", () => {
    const warnings: string[] = [];
    expect(flashAttentionOverride({ LLORCH_ENGINE_FLASH_ATTENTION: "yes" }, (m) => void warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual(["LLORCH_ENGINE_FLASH_ATTENTION=yes is not one of auto, on, off; the engine decides"]);
  });
});

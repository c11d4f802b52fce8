import { GgufInsights, type GgufFileInfo, type Llama } from "node-llama-cpp";
import type { FlashAttentionOption } from "./flash-attention.js";

export interface MemoryFit {
  fits: boolean;
  requiredBytes: number;
  availableBytes: number;
  /** Human-readable reason, used as the MODEL_TOO_LARGE message. */
  detail: string;
}

const MIB = 1024 * 1024;

/**
 * Estimates what the model plus a context of `sequences × contextSize` cells need (node-llama-cpp's
 * GGUF insights) and compares it with what is free: VRAM + RAM on a GPU backend, RAM on CPU, or an
 * explicit per-pool limit. Runs in the engine child: insights touch native code, and a malformed
 * model can abort the process right here.
 */
export async function checkMemoryFit(
  llama: Llama,
  info: GgufFileInfo,
  contextSize: number,
  sequences: number,
  memoryLimitBytes: number | undefined,
  flashAttention: FlashAttentionOption,
): Promise<MemoryFit> {
  const insights = await GgufInsights.from(info, llama);
  const gpuLayers = llama.gpu === false ? 0 : insights.totalLayers;
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const context = await insights.estimateContextResourceRequirementsV2({ contextSize, sequences, modelGpuLayers: gpuLayers, flashAttention });
  const requiredBytes = model.cpuRam + model.gpuVram + context.cpuRam + context.gpuVram;
  const ram = await llama.getRamState();
  const vram = llama.gpu === false ? { free: 0 } : await llama.getVramState();
  const availableBytes = memoryLimitBytes ?? ram.free + vram.free;
  const where = memoryLimitBytes !== undefined ? "the pool's memory_limit_bytes" : llama.gpu === false ? "free RAM" : "free VRAM + RAM";
  return {
    fits: requiredBytes <= availableBytes,
    requiredBytes,
    availableBytes,
    detail: `model needs ~${(requiredBytes / MIB).toFixed(1)} MiB (weights + ${sequences}×${contextSize}-token context), ${where} is ${(availableBytes / MIB).toFixed(1)} MiB`,
  };
}

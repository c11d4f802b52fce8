import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Llama, LlamaLogLevel } from "node-llama-cpp";
import type { PoolDevice } from "../../src-shared/config/worker-config.js";
import { gpuPossible, prebuiltCpuBinary, thisHost } from "../system/cpu-only-host.js";
import { createLlamaFromBinary, type LlamaBuildMetadata } from "./llama-binary.js";

// A pool on the CPU loads node-llama-cpp's prebuilt CPU binary directly (llama-binary.ts says why) when
// getLlama would certainly pick that binary: the pool's device is "cpu", or "auto" on a host where no GPU
// backend can find a device (cpu-only-host.ts, the rule the agent's host probe shortcut uses), and no
// local build is preferred. Anything else goes through getLlama as before. The prebuilt CPU binary picks
// its ggml CPU variant by the CPU's features when it loads, so the binary test guards nothing there that a
// load error does not say as well.

/** The prebuilt CPU binary's folder when this pool's engine can load it directly, else undefined. */
export function directPrebuiltCpuBins(device: PoolDevice): string | undefined {
  const host = thisHost();
  if (device !== "cpu" && (device !== "auto" || gpuPossible(host) !== null)) return undefined;
  return prebuiltCpuBinary(host)?.bins;
}

/** Loads node-llama-cpp's prebuilt CPU binary in `bins` as getLlama({ gpu: false }) would, without its test fork. */
export async function loadPrebuiltCpuLlama(bins: string, maxThreads: number, logLevel: LlamaLogLevel): Promise<Llama> {
  // As getLlama passes it: the binary's own build metadata, read as it is.
  const buildMetadata = JSON.parse(readFileSync(join(bins, "_nlcBuildMetadata.json"), "utf8")) as LlamaBuildMetadata;
  return createLlamaFromBinary(join(bins, "llama-addon.node"), "prebuilt", buildMetadata, maxThreads, logLevel);
}

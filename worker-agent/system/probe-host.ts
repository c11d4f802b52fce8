// One-shot child: asks node-llama-cpp which backend (CUDA/Vulkan/Metal/CPU) it can use and which
// GPUs it sees, sends the answer over IPC and exits. A child, because loading the native backend
// can fail hard on a broken driver, and the agent must survive that.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import type { SystemProbeResult } from "./system-probe-ipc.js";

process.on("disconnect", () => process.exit(0));

try {
  const llama = await getLlama({ gpu: "auto", build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  const vram = await llama.getVramState();
  const result: SystemProbeResult = {
    backend: llama.gpu === false ? "cpu" : llama.gpu,
    gpu_names: await llama.getGpuDeviceNames(),
    vram_total_bytes: vram.total,
    vram_free_bytes: vram.free,
    llama_cpp_release: llama.llamaCppRelease.release,
    build_type: llama.buildType,
    supports_gpu_offloading: llama.supportsGpuOffloading,
  };
  process.send?.({ ok: true, result }, () => process.exit(0));
} catch (error) {
  process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
}

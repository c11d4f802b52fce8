import { z } from "zod";
import { GpuBackendSchema } from "../../src-shared/nodes/gpu-capabilities.js";

/** What the probe child reports about the llama.cpp backend on this machine. */
export const SystemProbeResultSchema = z.object({
  backend: GpuBackendSchema,
  gpu_names: z.array(z.string()),
  vram_total_bytes: z.int().min(0),
  vram_free_bytes: z.int().min(0),
  llama_cpp_release: z.string(),
  build_type: z.string(),
  supports_gpu_offloading: z.boolean(),
});
export type SystemProbeResult = z.infer<typeof SystemProbeResultSchema>;

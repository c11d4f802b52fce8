import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";

export const GpuInfoSchema = z.object({
  device_id: z.int().min(0),
  name: z.string(),
  vram_total_bytes: ByteCountSchema,
  vram_free_bytes: ByteCountSchema.optional(),
  compute_capability: z.string().optional(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

export const GpuBackendSchema = z.enum(["cuda", "vulkan", "metal", "cpu"]);
export type GpuBackend = z.infer<typeof GpuBackendSchema>;

export const NodeCapabilitiesSchema = z.object({
  /** May be empty (CPU-only node). */
  gpus: z.array(GpuInfoSchema),
  cpu_cores: z.int().min(1).optional(),
  // null is accepted because the original pool-managerd sends ram_total_bytes: null.
  ram_total_bytes: ByteCountSchema.nullable().optional(),
  backend: GpuBackendSchema.optional(),
});
export type NodeCapabilities = z.infer<typeof NodeCapabilitiesSchema>;

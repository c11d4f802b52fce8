import { z } from "zod";

/** One GPU (or MIG-enabled GPU) as nvidia-smi reports it; fields the driver does not support are null. */
export const GpuTelemetrySchema = z.object({
  /** nvidia-smi's index, as a string so other vendors' ids fit. */
  gpu: z.string().min(1).max(64),
  name: z.string().max(128),
  uuid: z.string().max(128).nullable(),
  utilization_ratio: z.number().min(0).max(1).nullable(),
  memory_total_bytes: z.number().int().nonnegative().nullable(),
  memory_used_bytes: z.number().int().nonnegative().nullable(),
  temperature_celsius: z.number().min(-50).max(200).nullable(),
  power_watts: z.number().nonnegative().nullable(),
  power_limit_watts: z.number().nonnegative().nullable(),
});
export type GpuTelemetry = z.infer<typeof GpuTelemetrySchema>;

/** Host CPU/RAM (always) and GPUs (where nvidia-smi is present), sampled every few seconds by the worker. */
export const HostTelemetrySchema = z.object({
  sampled_at_ms: z.int().nonnegative(),
  cpu_utilization_ratio: z.number().min(0).max(1),
  cpus: z.int().min(1).max(100_000),
  load1: z.number().nonnegative(),
  memory_total_bytes: z.number().int().nonnegative(),
  memory_available_bytes: z.number().int().nonnegative(),
  gpus: z.array(GpuTelemetrySchema).max(64),
});
export type HostTelemetry = z.infer<typeof HostTelemetrySchema>;

import type { GpuTelemetry } from "../../src-shared/nodes/host-telemetry.js";

/** The fields asked of `nvidia-smi --query-gpu=… --format=csv,noheader,nounits`, in this order. */
export const NVIDIA_SMI_FIELDS = ["index", "uuid", "name", "utilization.gpu", "memory.total", "memory.used", "temperature.gpu", "power.draw", "power.limit"] as const;

const MIB = 1024 * 1024;

/** "[N/A]", "[Not Supported]", "N/A", "" (MIG-enabled GPUs, old or consumer drivers) → null. */
function num(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const trimmed = raw.trim();
  if (trimmed === "" || trimmed.startsWith("[") || /^n\/a$/i.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

const clampRatio = (percent: number | null): number | null => (percent === null ? null : Math.min(1, Math.max(0, percent / 100)));
const bytes = (mib: number | null): number | null => (mib === null || mib < 0 ? null : Math.round(mib * MIB));
const nonNegative = (n: number | null): number | null => (n === null || n < 0 ? null : n);

/**
 * Parses nvidia-smi's CSV (noheader, nounits). Lines that are not GPU rows — the "couldn't
 * communicate with the NVIDIA driver" message, blank lines, warnings — are skipped, so a host
 * without a working driver yields [].
 */
export function parseNvidiaSmiCsv(stdout: string): GpuTelemetry[] {
  const gpus: GpuTelemetry[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== NVIDIA_SMI_FIELDS.length) continue;
    const [index, uuid, name, util, memTotal, memUsed, temp, power, powerLimit] = cells;
    if (index === undefined || !/^\d+$/.test(index)) continue;
    const temperature = num(temp);
    gpus.push({
      gpu: index,
      name: (name ?? "").slice(0, 128),
      uuid: uuid !== undefined && uuid.startsWith("GPU-") ? uuid.slice(0, 128) : null,
      utilization_ratio: clampRatio(num(util)),
      memory_total_bytes: bytes(num(memTotal)),
      memory_used_bytes: bytes(num(memUsed)),
      temperature_celsius: temperature === null || temperature < -50 || temperature > 200 ? null : temperature,
      power_watts: nonNegative(num(power)),
      power_limit_watts: nonNegative(num(powerLimit)),
    });
  }
  return gpus;
}

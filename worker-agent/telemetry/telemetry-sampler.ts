import type { GpuTelemetry, HostTelemetry } from "../../src-shared/nodes/host-telemetry.js";
import { vendorGpuReader } from "./gpu-readers.js";
import { cpuUtilization, hostFacts, readCpuTimes, type CpuTimes } from "./host-sample.js";

export const TELEMETRY_INTERVAL_MS = 5000;

/**
 * Samples CPU/RAM (os module, always) and GPUs (nvidia-smi and rocm-smi, where installed) every few seconds.
 * The latest sample feeds the worker's /metrics and rides along with heartbeats.
 */
export class TelemetrySampler {
  private timer: NodeJS.Timeout | undefined;
  private cpuBefore: CpuTimes = readCpuTimes();
  private gpus: GpuTelemetry[] = [];
  private smiAbsent = false;
  private current: HostTelemetry;

  constructor(private readonly gpuQuery: () => Promise<GpuTelemetry[] | "absent"> = vendorGpuReader()) {
    this.current = { sampled_at_ms: Date.now(), cpu_utilization_ratio: 0, ...hostFacts(), gpus: [] };
  }

  latest(): HostTelemetry {
    return this.current;
  }

  async sample(): Promise<HostTelemetry> {
    if (!this.smiAbsent) {
      const gpus = await this.gpuQuery();
      if (gpus === "absent") this.smiAbsent = true;
      else this.gpus = gpus;
    }
    const after = readCpuTimes();
    this.current = { sampled_at_ms: Date.now(), cpu_utilization_ratio: round(cpuUtilization(this.cpuBefore, after)), ...hostFacts(), gpus: this.gpus };
    this.cpuBefore = after;
    return this.current;
  }

  start(intervalMs = TELEMETRY_INTERVAL_MS): void {
    if (this.timer !== undefined) return;
    // A first sample soon, so the first heartbeats already carry a CPU figure over a real interval.
    setTimeout(() => void this.sample(), Math.min(500, intervalMs)).unref();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";

export interface CpuTimes {
  idle: number;
  total: number;
}

/** Sum of all CPUs' times; utilisation is the non-idle share of the difference between two readings. */
export function readCpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

export function cpuUtilization(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - (after.idle - before.idle) / total));
}

/** MemAvailable on Linux (page cache counts as available); os.freemem() elsewhere. */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

export function hostFacts(): { cpus: number; load1: number; memory_total_bytes: number; memory_available_bytes: number } {
  return { cpus: Math.max(1, cpus().length), load1: Math.max(0, loadavg()[0] ?? 0), memory_total_bytes: totalmem(), memory_available_bytes: availableMemoryBytes() };
}

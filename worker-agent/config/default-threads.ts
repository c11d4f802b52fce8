// llama.cpp's CPU backend spins on barriers: more threads than free cores make generation 100-1000x
// slower (measured on 2-core CI boxes). One thread up to two cores, then leave one core to the rest.
export function defaultThreadCount(cpuCores: number): number {
  if (cpuCores <= 2) return 1;
  return Math.min(cpuCores - 1, 16);
}

/** Slots of a pool derived from the models dir: enough parallelism to batch, not so much that each sequence crawls. */
export function defaultAutoPoolSlots(cpuCores: number, hasGpu: boolean): number {
  if (hasGpu) return 4;
  return cpuCores <= 2 ? 2 : 4;
}

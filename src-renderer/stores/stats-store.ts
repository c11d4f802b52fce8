import { createStore } from "zustand/vanilla";
import type { ClusterStats } from "../../src-shared/dashboard/cluster-events.js";

/** 15 minutes at one sample a second. */
export const STATS_HISTORY_CAP = 900;

export interface StatsState {
  latest: ClusterStats | null;
  /** Oldest first, at most STATS_HISTORY_CAP samples. */
  history: ClusterStats[];
  reset(latest: ClusterStats, history: ClusterStats[]): void;
  applyBatch(samples: ClusterStats[]): void;
}

export const createStatsStore = () =>
  createStore<StatsState>()((set, get) => ({
    latest: null,
    history: [],
    reset(latest, history) {
      set({ latest, history: history.slice(-STATS_HISTORY_CAP) });
    },
    applyBatch(samples) {
      const last = samples.at(-1);
      if (last === undefined) return;
      const previous = get().history;
      const lastAt = previous.at(-1)?.at_ms ?? -1;
      const fresh = samples.filter((s) => s.at_ms > lastAt);
      const history = fresh.length === 0 ? previous : [...previous, ...fresh].slice(-STATS_HISTORY_CAP);
      set({ latest: last, history });
    },
  }));

export type StatsStore = ReturnType<typeof createStatsStore>;

/** Reduces a series to at most `points` by averaging buckets, so charts draw a bounded number of points. */
export function downsample<T extends { at_ms: number }>(series: readonly T[], points: number, pick: (s: T) => number): { at_ms: number; value: number }[] {
  if (series.length <= points) return series.map((s) => ({ at_ms: s.at_ms, value: pick(s) }));
  const size = series.length / points;
  const out: { at_ms: number; value: number }[] = [];
  for (let i = 0; i < points; i++) {
    const from = Math.floor(i * size);
    const to = Math.max(from + 1, Math.floor((i + 1) * size));
    let sum = 0;
    for (let j = from; j < to; j++) sum += pick(series[j] as T);
    out.push({ at_ms: (series[to - 1] as T).at_ms, value: sum / (to - from) });
  }
  return out;
}

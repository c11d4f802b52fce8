import { createStore } from "zustand/vanilla";
import type { LogEntry } from "../../src-shared/dashboard/cluster-events.js";

export const LOG_CAP = 5000;

export interface LogsState {
  entries: LogEntry[];
  reset(entries: LogEntry[]): void;
  applyBatch(entries: LogEntry[]): void;
}

export const createLogsStore = () =>
  createStore<LogsState>()((set, get) => ({
    entries: [],
    reset(entries) {
      set({ entries: entries.slice(-LOG_CAP) });
    },
    applyBatch(entries) {
      if (entries.length === 0) return;
      const previous = get().entries;
      const lastSeq = previous.at(-1)?.seq ?? -1;
      // Sequence numbers dedupe a log line that was both in the snapshot and sent live.
      const fresh = entries.filter((e) => e.seq > lastSeq);
      if (fresh.length === 0) return;
      const merged = previous.length + fresh.length > LOG_CAP ? [...previous, ...fresh].slice(-LOG_CAP) : [...previous, ...fresh];
      set({ entries: merged });
    },
  }));

export type LogsStore = ReturnType<typeof createLogsStore>;

export const LEVEL_RANK: Record<LogEntry["level"], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function filterLogs(entries: readonly LogEntry[], minLevel: LogEntry["level"], text: string): LogEntry[] {
  const needle = text.trim().toLowerCase();
  const min = LEVEL_RANK[minLevel];
  return entries.filter(
    (e) =>
      LEVEL_RANK[e.level] >= min &&
      (needle === "" || e.message.toLowerCase().includes(needle) || e.source.toLowerCase().includes(needle) || (e.code?.toLowerCase().includes(needle) ?? false)),
  );
}

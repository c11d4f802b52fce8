import { createStore } from "zustand/vanilla";

export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "unauthorized";

export interface ConnectionState {
  status: ConnectionStatus;
  /** Consecutive failed attempts since the last good stream. */
  attempt: number;
  /** Local time of the next reconnect attempt while reconnecting. */
  retryAtMs: number | null;
  lastError: string | null;
  /** Local time the current stream delivered its snapshot. */
  liveSinceMs: number | null;
  set(patch: Partial<Omit<ConnectionState, "set">>): void;
}

export const createConnectionStore = () =>
  createStore<ConnectionState>()((set) => ({
    status: "connecting",
    attempt: 0,
    retryAtMs: null,
    lastError: null,
    liveSinceMs: null,
    set(patch) {
      set(patch);
    },
  }));

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

// Everything a fault run's clients saw, in arrival order, for the history checker. Times are
// milliseconds since the run started (performance.now() based, one clock for the whole run).

export type NodeState = "Online" | "Suspect" | "Offline" | "Registering" | "absent";

export type HistoryEntry =
  /** POST /v2/tasks answered 202. */
  | { t: number; kind: "accepted"; task: string; key?: string; model: string; replayed: boolean }
  /** POST /v2/tasks answered something else (no invariant applies beyond counting). */
  | { t: number; kind: "refused"; code: string }
  | { t: number; kind: "placed"; task: string; node: string }
  | { t: number; kind: "token"; task: string; index: number }
  | { t: number; kind: "cancel"; task: string }
  | { t: number; kind: "end"; task: string; canceled: boolean; tokens: number }
  | { t: number; kind: "error"; task: string; code: string }
  /** What GET /v2/tasks/{id} said once the task ended (re-placement attempts). */
  | { t: number; kind: "status"; task: string; attempts: number; node: string | null }
  /** A node's status (and whether any of its pools for the model were draining) as polled. */
  | { t: number; kind: "node"; node: string; state: NodeState; eligible: boolean; models: string[] }
  | { t: number; kind: "fault"; fault: string; node?: string };

export class History {
  readonly entries: HistoryEntry[] = [];
  private readonly t0 = performance.now();

  now(): number {
    return Math.round(performance.now() - this.t0);
  }

  /** Records an entry stamped now (distributive over the union, so each kind keeps its fields). */
  add<E extends HistoryEntry>(entry: E extends HistoryEntry ? Omit<E, "t"> : never): void {
    this.entries.push({ t: this.now(), ...entry } as HistoryEntry);
  }
}

// The tray: a status line and a few actions. Pure builders; tray.ts applies them to an Electron Tray.
import type { MenuItemConstructorOptions } from "electron";
import type { NodeStatus } from "../../src-shared/nodes/node-info.js";
import type { LocalWorkerState } from "../../src-shared/ipc/ipc-contract.js";

export interface ClusterCounts {
  online: number;
  total: number;
}

/** Counts nodes Online out of all known nodes (Offline ones included: they are still known). */
export function countNodes(nodes: Iterable<{ status: NodeStatus }>): ClusterCounts {
  let online = 0;
  let total = 0;
  for (const node of nodes) {
    total++;
    if (node.status === "Online") online++;
  }
  return { online, total };
}

export function clusterStatusLine(counts: ClusterCounts): string {
  if (counts.total === 0) return "No worker nodes yet";
  return `${counts.online} of ${counts.total} node${counts.total === 1 ? "" : "s"} online`;
}

const WORKER_WORDS: Record<LocalWorkerState, string> = {
  stopped: "stopped",
  starting: "starting…",
  running: "running",
  restarting: "restarting…",
  stopping: "stopping…",
  failed: "failed",
};

export function localWorkerLine(state: LocalWorkerState): string {
  return `Local worker: ${WORKER_WORDS[state]}`;
}

/** Tooltip: the app name and the status line, e.g. "llama-orch — 1 of 2 nodes online". */
export function trayTooltip(appName: string, counts: ClusterCounts): string {
  return `${appName} — ${clusterStatusLine(counts)}`;
}

export interface TrayMenuInput {
  counts: ClusterCounts;
  localWorker: LocalWorkerState;
  actions: {
    openDashboard(): void;
    startLocalWorker(): void;
    stopLocalWorker(): void;
    quit(): void;
  };
}

export function buildTrayMenuTemplate(input: TrayMenuInput): MenuItemConstructorOptions[] {
  const { actions } = input;
  const workerActive = input.localWorker !== "stopped" && input.localWorker !== "failed";
  return [
    { id: "cluster-status", label: clusterStatusLine(input.counts), enabled: false },
    { id: "local-worker-status", label: localWorkerLine(input.localWorker), enabled: false },
    { type: "separator" },
    { id: "open-dashboard", label: "Open dashboard", click: () => actions.openDashboard() },
    workerActive
      ? { id: "local-worker-toggle", label: "Stop local worker", enabled: input.localWorker !== "stopping", click: () => actions.stopLocalWorker() }
      : { id: "local-worker-toggle", label: "Run local worker on this machine", click: () => actions.startLocalWorker() },
    { type: "separator" },
    { id: "quit", label: "Quit llama-orch", click: () => actions.quit() },
  ];
}

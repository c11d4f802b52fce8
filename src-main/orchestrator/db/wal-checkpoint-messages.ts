// What the WAL checkpoint thread (wal-checkpoint-thread.ts) and its owner (wal-checkpointer.ts) pass
// to each other. Both sides are this build's own code in one process, so a plain shape check is
// enough; it still refuses anything else instead of trusting it (a stale thread file, say).

/** What the thread is started with (`workerData`). */
export interface CheckpointThreadSettings {
  /** The database file (never ":memory:": a second connection could not see it). */
  readonly path: string;
  /** How often the thread looks for new commits, in milliseconds. */
  readonly intervalMs: number;
  /** WAL length (frames) from which the thread checkpoints (what wal_autocheckpoint was). */
  readonly checkpointAfterFrames: number;
  /** WAL length (frames) from which a PASSIVE checkpoint is followed by a RESTART. */
  readonly restartAfterFrames: number;
}

export type CheckpointMode = "passive" | "restart";

/** One checkpoint the thread ran (`PRAGMA wal_checkpoint`'s row, plus what it cost). */
export interface CheckpointReport {
  readonly type: "checkpoint";
  readonly mode: CheckpointMode;
  /** 1 when the checkpoint could not finish (a reader or the writer held what it needed). */
  readonly busy: number;
  /** Frames in the WAL. */
  readonly log: number;
  /** Frames of the WAL now in the database file. */
  readonly checkpointed: number;
  /** Frames this call copied into the database file. */
  readonly copied: number;
  readonly durationMs: number;
}

export type CheckpointThreadMessage =
  | { readonly type: "ready" }
  | CheckpointReport
  | { readonly type: "failed"; readonly message: string };

/** The owner's only request: stop, close the connection, end the thread. */
export interface CheckpointStopRequest {
  readonly type: "stop";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

export function parseCheckpointThreadSettings(value: unknown): CheckpointThreadSettings | null {
  if (!isRecord(value)) return null;
  const { path, intervalMs, checkpointAfterFrames, restartAfterFrames } = value;
  if (typeof path !== "string" || path === "" || path === ":memory:") return null;
  if (!isCount(intervalMs) || intervalMs < 1 || !isCount(checkpointAfterFrames) || !isCount(restartAfterFrames) || restartAfterFrames < 1) return null;
  return { path, intervalMs, checkpointAfterFrames, restartAfterFrames };
}

export function parseCheckpointThreadMessage(value: unknown): CheckpointThreadMessage | null {
  if (!isRecord(value)) return null;
  switch (value["type"]) {
    case "ready":
      return { type: "ready" };
    case "failed":
      return typeof value["message"] === "string" ? { type: "failed", message: value["message"] } : null;
    case "checkpoint": {
      const { mode, busy, log, checkpointed, copied, durationMs } = value;
      if (mode !== "passive" && mode !== "restart") return null;
      if (!isCount(busy) || !isCount(log) || !isCount(checkpointed) || !isCount(copied) || !isCount(durationMs)) return null;
      return { type: "checkpoint", mode, busy, log, checkpointed, copied, durationMs };
    }
    default:
      return null;
  }
}

export function isCheckpointStopRequest(value: unknown): value is CheckpointStopRequest {
  return isRecord(value) && value["type"] === "stop";
}

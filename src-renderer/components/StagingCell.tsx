import { useState } from "react";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { formatBytes, formatDuration } from "../lib/format.js";
import type { JobProgress, MatrixCell } from "../lib/staging-cells.js";
import { ConfirmDialog, Meter } from "./ui.js";
import m from "./models.module.css";

const PHASE_WORDS = { queued: "queued", transferring: "transferring", verifying: "verifying", retrying: "retrying", ready: "ready", failed: "failed", canceled: "canceled" } as const;

function rateText(p: JobProgress): string {
  if (p.bytesPerSecond === null) return "";
  return `${formatBytes(p.bytesPerSecond)}/s${p.etaMs !== null ? ` · ETA ${formatDuration(p.etaMs)}` : ""}`;
}

async function act(what: string, run: () => Promise<unknown>, done: string): Promise<void> {
  try {
    await run();
    reportSuccess(done);
  } catch (err) {
    reportError(what, toApiError(err));
  }
}

/** One models × nodes cell: verified, a live progress bar (phase, rate, ETA, cancel), failed/partial (retry), absent. */
export function StagingCell({ cell, sha256, modelId, nodeId }: { cell: MatrixCell; sha256: string; modelId: string; nodeId: string }) {
  const [confirmRemove, setConfirmRemove] = useState(false);
  const retry = () => void act(`Could not stage ${modelId} to ${nodeId}`, () => api.stageModel(sha256, { nodes: [nodeId] }), `Staging ${modelId} to ${nodeId} again`);
  switch (cell.state) {
    case "verified":
      return (
        <div className={m.cellLine}>
          <span className={cell.presence === "present" ? m.verified : m.faint}>{cell.presence === "present" ? "✓ verified" : "✓ node offline"}</span>
          {cell.presence === "present" && (
            <button type="button" className={m.iconButton} aria-label={`Remove ${modelId} from ${nodeId}`} title={`Delete the file from ${nodeId}`} onClick={(e) => (e.stopPropagation(), setConfirmRemove(true))}>
              ✕
            </button>
          )}
          <ConfirmDialog
            open={confirmRemove}
            title={`Remove ${modelId} from ${nodeId}?`}
            body={`Deletes the model's files on ${nodeId}. Refused while a pool there is serving it (drain it first).`}
            confirmLabel="Remove"
            danger
            onCancel={() => setConfirmRemove(false)}
            onConfirm={() => {
              setConfirmRemove(false);
              void act(`Could not remove ${modelId} from ${nodeId}`, () => api.removeModelFromNode(sha256, nodeId), `Removed ${modelId} from ${nodeId}`);
            }}
          />
        </div>
      );
    case "staging": {
      const p = cell.progress;
      return (
        <div className={m.cell} data-phase={p.phase}>
          <div className={m.cellLine}>
            <span className={m.phase}>{PHASE_WORDS[p.phase]}</span>
            <span>{Math.floor(p.fraction * 100)}%</span>
            <button type="button" className={m.iconButton} aria-label={`Cancel staging ${modelId} to ${nodeId}`} title="Cancel (the partial file is removed)" onClick={(e) => (e.stopPropagation(), void act("Cancel failed", () => api.cancelStagingJob(p.job.job_id), `Canceled staging to ${nodeId}`))}>
              ✕
            </button>
          </div>
          <div className={m.progress}>
            <Meter value={p.job.bytes_done} max={Math.max(1, p.job.size_bytes)} label={`${modelId} to ${nodeId}: ${Math.floor(p.fraction * 100)}%`} warnAt={101} badAt={101} />
          </div>
          <span className={m.faint} title={p.job.error?.message}>
            {p.phase === "retrying" && p.reason !== null ? p.reason.replace(/_/g, " ") : rateText(p) || `${formatBytes(p.job.bytes_done)} of ${formatBytes(p.job.size_bytes)}`}
          </span>
        </div>
      );
    }
    case "failed":
    case "partial": {
      const failed = cell.state === "failed" ? cell.progress : null;
      const partialBytes = cell.state === "partial" ? cell.bytes : 0;
      return (
        <div className={m.cell} data-phase={failed !== null ? "failed" : "partial"}>
          <span className={failed !== null ? m.failed : m.partial} title={failed?.job.error?.message}>
            {failed !== null ? `failed: ${(failed.reason ?? "error").replace(/_/g, " ")}` : `partial ${formatBytes(partialBytes)}`}
          </span>
          <button type="button" className={m.iconButton} aria-label={`Retry staging ${modelId} to ${nodeId}`} onClick={(e) => (e.stopPropagation(), retry())}>
            ↻ retry
          </button>
        </div>
      );
    }
    case "absent":
      return <span className={m.faint}>— absent</span>;
  }
}

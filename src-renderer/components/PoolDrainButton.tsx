import { useState } from "react";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { Button, ConfirmDialog } from "./ui.js";

const DRAIN_DEADLINE_MS = 30_000;

/** Drain a pool or resume it: both set the orchestrator's desired state, which it then reconciles. */
export function PoolDrainButton({ poolId, draining }: { poolId: string; draining: boolean }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      if (draining) await api.resumePool(poolId);
      else await api.drainPool(poolId, DRAIN_DEADLINE_MS);
      reportSuccess(draining ? `Resuming ${poolId}` : `Draining ${poolId}`, draining ? "The pool takes work again once its worker reports it ready." : "No new tasks go to it from now on; running ones get 30 s to finish.");
      setOpen(false);
    } catch (err) {
      reportError(draining ? "Resume failed" : "Drain failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" variant={draining ? "default" : "danger"} onClick={() => setOpen(true)} aria-label={`${draining ? "Resume" : "Drain"} ${poolId}`}>
        {draining ? "Resume" : "Drain"}
      </Button>
      <ConfirmDialog
        open={open}
        title={draining ? `Resume ${poolId}?` : `Drain ${poolId}?`}
        body={draining ? "The orchestrator restarts the pool on its worker if it was stopped, and places tasks on it again once it is ready." : "No new tasks are placed on this pool from now on. Running tasks get 30 seconds to finish, then the worker stops the engine. The request holds across restarts until you resume."}
        confirmLabel={draining ? "Resume pool" : "Drain pool"}
        danger={!draining}
        busy={busy}
        onConfirm={() => void run()}
        onCancel={() => setOpen(false)}
      />
    </>
  );
}

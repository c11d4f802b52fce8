import { useState } from "react";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { Button, ConfirmDialog } from "./ui.js";

/** Drain or undrain a node, after a confirmation that says what it does. */
export function DrainButton({ nodeId, drained, size = "small", onDone }: { nodeId: string; drained: boolean; size?: "small" | "normal"; onDone?: (drained: boolean) => void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const res = drained ? await api.undrainNode(nodeId) : await api.drainNode(nodeId);
      reportSuccess(res.drained ? `Draining ${nodeId}` : `${nodeId} takes work again`, res.drained ? "No new tasks are placed on it; running tasks finish." : "");
      onDone?.(res.drained);
      setOpen(false);
    } catch (err) {
      reportError(drained ? "Undrain failed" : "Drain failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size={size} variant={drained ? "default" : "danger"} onClick={() => setOpen(true)} aria-label={`${drained ? "Undrain" : "Drain"} ${nodeId}`}>
        {drained ? "Undrain" : "Drain"}
      </Button>
      <ConfirmDialog
        open={open}
        title={drained ? `Undrain ${nodeId}?` : `Drain ${nodeId}?`}
        body={
          drained
            ? "The node will take new tasks again as soon as its pools are ready."
            : "No new tasks will be placed on this node. Tasks already running on it finish normally. You can undrain it at any time."
        }
        confirmLabel={drained ? "Undrain node" : "Drain node"}
        danger={!drained}
        busy={busy}
        onConfirm={() => void run()}
        onCancel={() => setOpen(false)}
      />
    </>
  );
}

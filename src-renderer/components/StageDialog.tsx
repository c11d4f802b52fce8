import { useEffect, useState } from "react";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { Button, Dialog, Spinner } from "./ui.js";
import m from "./models.module.css";

export interface StageTarget {
  sha256: string;
  id: string;
}

/**
 * "Stage to…": pick target nodes (or every Online node) and an optional per-transfer cap, then
 * POST /v2/catalog/models/{sha256}/stage. Nodes that already hold the model are listed, not offered.
 */
export function StageDialog({ model, nodes, onClose }: { model: StageTarget | null; nodes: readonly NodeInfo[]; onClose: () => void }) {
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [all, setAll] = useState(false);
  const [capMb, setCapMb] = useState("");
  const [reloadPool, setReloadPool] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setPicked(new Set());
    setAll(false);
    setCapMb("");
    setReloadPool("");
  }, [model?.sha256]);
  if (model === null) return null;
  const holders = nodes.filter((n) => n.models.some((x) => x.sha256 === model.sha256)).map((n) => n.node_id);
  const candidates = nodes.filter((n) => !holders.includes(n.node_id));
  const cap = capMb.trim() === "" ? null : Math.round(Number(capMb) * 1_000_000);
  const capValid = cap === null || (Number.isFinite(cap) && cap >= 1);
  // "Then reload pool": a pool on one of the chosen targets (the API refuses any other).
  const targets = all ? candidates.filter((n) => n.status === "Online") : candidates.filter((n) => picked.has(n.node_id));
  const pools = targets.flatMap((n) => n.pools.map((p) => ({ id: p.pool_id, node: n.node_id, serving: p.model?.name ?? null })));
  const reload = pools.some((p) => p.id === reloadPool) ? reloadPool : "";
  const toggle = (id: string) =>
    setPicked((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const submit = async () => {
    setBusy(true);
    try {
      const res = await api.stageModel(model.sha256, { nodes: all ? "all" : [...picked], ...(cap !== null ? { bandwidth_limit_bytes_per_s: cap } : {}), ...(reload !== "" ? { then: { reload_pool: reload } } : {}) });
      const started = res.jobs.map((j) => j.target_node_id);
      const then = reload !== "" ? `, then reloading pool ${reload}` : "";
      reportSuccess(`Staging ${model.id}`, started.length > 0 ? `to ${started.join(", ")}${then}` : `every target already holds it${then}`);
      onClose();
    } catch (err) {
      reportError(`Could not stage ${model.id}`, toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Stage ${model.id} to…`}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => void submit()} disabled={busy || !capValid || (!all && picked.size === 0)}>
            {busy && <Spinner />}
            Stage
          </Button>
        </>
      }
    >
      <fieldset className={m.targets} aria-label="Target nodes">
        <label className={m.target}>
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
          <strong>All online nodes</strong> that do not hold it yet
        </label>
        {candidates.map((n) => (
          <label key={n.node_id} className={m.target}>
            <input type="checkbox" disabled={all || n.status !== "Online"} checked={all ? n.status === "Online" : picked.has(n.node_id)} onChange={() => toggle(n.node_id)} />
            {n.node_id}
            {n.status !== "Online" ? ` (${n.status.toLowerCase()})` : ""}
            {n.eligibility === "ineligible" ? " (drained)" : ""}
          </label>
        ))}
        {candidates.length === 0 && <p>Every known node holds this model.</p>}
      </fieldset>
      <label className={m.cap}>
        Bandwidth cap per transfer (MB/s, empty: the global setting)
        <input type="number" min="0" step="0.1" inputMode="decimal" value={capMb} onChange={(e) => setCapMb(e.target.value)} aria-label="Bandwidth cap in MB/s" aria-invalid={!capValid} />
      </label>
      <label className={m.cap}>
        Then reload pool (once its node&apos;s copy is verified)
        <select value={reload} onChange={(e) => setReloadPool(e.target.value)} aria-label="Then reload pool" disabled={pools.length === 0}>
          <option value="">{pools.length === 0 ? "— pick a target node with a pool —" : "— no pool —"}</option>
          {pools.map((p) => (
            <option key={p.id} value={p.id}>
              {p.id} on {p.node}
              {p.serving !== null ? ` (now ${p.serving})` : ""}
            </option>
          ))}
        </select>
      </label>
      {holders.length > 0 && <p className={m.note}>Copied node to node from {holders.join(", ")} (sha256-verified on arrival).</p>}
    </Dialog>
  );
}

import { useMemo, useState } from "react";
import { useStore } from "zustand";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import { api, reportError, reportSuccess, stores } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { PoolDesiredBadge } from "../components/PoolDesiredBadge.js";
import { PoolDrainButton } from "../components/PoolDrainButton.js";
import { VirtualTable, type Column } from "../components/VirtualTable.js";
import { Badge, Button, Clip, Dialog, EmptyState, Meter, Panel, Spinner } from "../components/ui.js";
import { clip, clipTitle, formatBytes, formatRate } from "../lib/format.js";
import { href } from "../lib/router.js";
import { POOL_STATE, desiredOf, poolState } from "../lib/status.js";
import v from "./views.module.css";

interface PoolRow {
  key: string;
  pool: PoolSnapshot;
  node: NodeInfo;
}

function ReloadDialog({ row, onClose }: { row: PoolRow; onClose: () => void }) {
  const choices = row.node.models.filter((m) => m.sha256 !== row.pool.model?.sha256);
  const [sha, setSha] = useState(choices[0]?.sha256 ?? "");
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const res = await api.reloadPool(row.pool.pool_id, `sha256:${sha}`);
      reportSuccess(`Reloading ${row.pool.pool_id}`, `State: ${res.state}. The orchestrator keeps asking the worker until the pool serves the new model.`);
      onClose();
    } catch (err) {
      reportError("Reload failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Reload pool ${row.pool.pool_id}`}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => void run()} disabled={busy || sha === ""}>
            {busy && <Spinner />}
            Reload pool
          </Button>
        </>
      }
    >
      {choices.length === 0 ? (
        <p>Node {row.node.node_id} holds no other model. Copy a GGUF into its models folder (staging from the dashboard comes later).</p>
      ) : (
        <div className={v.sideField}>
          <p>
            The pool stops taking new tasks, finishes the running ones, then loads the chosen model from {row.node.node_id}'s models folder. Currently: <strong>{row.pool.model !== undefined ? <Clip text={row.pool.model.name} /> : "none"}</strong>.
          </p>
          <label htmlFor="reload-model">New model</label>
          <select id="reload-model" value={sha} onChange={(e) => setSha(e.target.value)}>
            {choices.map((m) => (
              <option key={m.sha256} value={m.sha256}>
                {clip(m.name)} ({formatBytes(m.size_bytes)})
              </option>
            ))}
          </select>
        </div>
      )}
    </Dialog>
  );
}

export function PoolsView() {
  const ids = useStore(stores.nodes, (st) => st.ids);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const [reloading, setReloading] = useState<PoolRow | null>(null);
  const [filter, setFilter] = useState("");
  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const out: PoolRow[] = [];
    for (const id of ids) {
      const node = byId[id];
      if (node === undefined) continue;
      for (const pool of node.pools) {
        if (needle !== "" && !`${pool.pool_id} ${id} ${pool.model?.name ?? ""}`.toLowerCase().includes(needle)) continue;
        out.push({ key: `${id}/${pool.pool_id}`, pool, node });
      }
    }
    return out;
  }, [ids, byId, filter]);

  const columns: Column<PoolRow>[] = [
    { id: "pool", header: "Pool", width: "minmax(130px, 1fr)", render: (r) => <span className={v.mono}>{r.pool.pool_id}</span> },
    {
      id: "node",
      header: "Node",
      width: "minmax(90px, 0.6fr)",
      render: (r) => (
        <a className={v.cellLink} href={href("nodes", r.node.node_id)}>
          {r.node.node_id}
        </a>
      ),
    },
    { id: "model", header: "Model", width: "minmax(140px, 1.2fr)", render: (r) => <span title={r.pool.model?.sha256}>{r.pool.model !== undefined ? <Clip text={r.pool.model.name} /> : <span className={v.faint}>none loaded</span>}</span> },
    { id: "device", header: "Device", width: "80px", render: (r) => <span className={v.muted}><Clip text={r.pool.device_mask ?? r.node.capabilities.backend ?? r.pool.engine} max={24} /></span> },
    {
      id: "slots",
      header: "Slots busy",
      width: "110px",
      render: (r) => {
        const busy = r.pool.slots_total - r.pool.slots_free;
        return (
          <div className={v.gpu}>
            <span className={v.gpuName}>
              {busy} / {r.pool.slots_total}
            </span>
            <span />
            <div className={v.gpuBar}>
              <Meter value={busy} max={r.pool.slots_total} label={`slots busy in ${r.pool.pool_id}`} warnAt={101} badAt={101} />
            </div>
          </div>
        );
      },
    },
    { id: "tps", header: "Tokens/s", width: "76px", align: "right", render: (r) => formatRate(r.pool.tokens_per_second) },
    {
      id: "state",
      header: "State",
      width: "minmax(130px, 1fr)",
      render: (r) => {
        const st = POOL_STATE[poolState(r.pool, r.node)];
        return (
          <span className={v.inline}>
            <Badge tone={st.tone} dot title={r.pool.last_error != null ? clipTitle(r.pool.last_error) : undefined}>
              {st.words}
            </Badge>
            <PoolDesiredBadge desired={desiredOf(r.pool, r.node)} />
          </span>
        );
      },
    },
    {
      id: "actions",
      header: <span className="visually-hidden">Actions</span>,
      width: "150px",
      align: "right",
      render: (r) => (
        <span className={v.inline}>
          <PoolDrainButton poolId={r.pool.pool_id} draining={desiredOf(r.pool, r.node)?.draining === true} />
          <Button size="small" onClick={() => setReloading(r)} disabled={r.node.status === "Offline"} aria-label={`Reload ${r.pool.pool_id}`}>
            Reload…
          </Button>
        </span>
      ),
    },
  ];

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <input type="search" placeholder="Filter by pool, node or model" aria-label="Filter pools" value={filter} onChange={(e) => setFilter(e.target.value)} data-shortcut-focus />
        <span className={v.muted}>
          {rows.filter((r) => poolState(r.pool, r.node) === "ready" || poolState(r.pool, r.node) === "busy").length} of {rows.length} pools ready
        </span>
      </div>
      <div className={v.fill}>
        <Panel flush>
          <VirtualTable
            label="Pools"
            testId="pools-table"
            rows={rows}
            rowKey={(r) => r.key}
            columns={columns}
            rowHeight={48}
            empty={<EmptyState title="No pools">Pools appear when worker agents register.</EmptyState>}
            footer={`${rows.length} pools`}
          />
        </Panel>
      </div>
      {reloading !== null && <ReloadDialog row={reloading} onClose={() => setReloading(null)} />}
    </div>
  );
}

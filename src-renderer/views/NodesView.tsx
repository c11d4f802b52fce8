import { useMemo, useState } from "react";
import { useStore } from "zustand";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { stores, useNow } from "../app-context.js";
import { AddWorker } from "../components/AddWorker.js";
import { DrainButton } from "../components/DrainButton.js";
import { GpuCell } from "../components/GpuCell.js";
import { VirtualTable, type Column } from "../components/VirtualTable.js";
import { Badge, Button, Clip, Dialog, EmptyState, Meter, Panel } from "../components/ui.js";
import { formatAge } from "../lib/format.js";
import { href, navigate } from "../lib/router.js";
import { ELIGIBILITY, NODE_STATUS } from "../lib/status.js";
import { heartbeatAgeMs, slotUsage } from "../stores/nodes-store.js";
import v from "./views.module.css";

function HeartbeatAge({ node }: { node: NodeInfo }) {
  const now = useNow();
  const offset = useStore(stores.nodes, (st) => st.clockOffsetMs);
  const age = heartbeatAgeMs(node, now, offset);
  return <span className={age > 3000 ? v.warnText : v.muted}>{formatAge(age)}</span>;
}

const COLUMNS: Column<NodeInfo>[] = [
  {
    id: "node",
    header: "Node",
    width: "minmax(150px, 1.2fr)",
    render: (n) => (
      <div className={v.stack}>
        <a className={v.cellLink} href={href("nodes", n.node_id)}>
          {n.node_id}
        </a>
        <span className={`${v.faint} ${v.small}`}>
          <Clip text={n.address} max={80} />
        </span>
      </div>
    ),
  },
  {
    id: "status",
    header: "Status",
    width: "150px",
    render: (n) => (
      <span className={v.inline}>
        <span data-testid="node-status">
          <Badge tone={NODE_STATUS[n.status].tone} dot>
            {NODE_STATUS[n.status].words}
          </Badge>
        </span>
        {n.eligibility === "ineligible" && (
          <span data-testid="node-eligibility">
            <Badge tone={ELIGIBILITY.ineligible.tone} title="Ineligible for new placements (operator drain)">
              {ELIGIBILITY.ineligible.words}
            </Badge>
          </span>
        )}
      </span>
    ),
  },
  { id: "hb", header: "Heartbeat", width: "84px", align: "right", render: (n) => <HeartbeatAge node={n} /> },
  { id: "gpus", header: "GPUs · VRAM", width: "minmax(170px, 1.2fr)", render: (n) => <GpuCell node={n} /> },
  {
    id: "pools",
    header: "Pools",
    width: "84px",
    align: "right",
    render: (n) => (
      <span>
        {n.pools.filter((p) => p.ready).length}/{n.pools.length} <span className={v.faint}>ready</span>
      </span>
    ),
  },
  {
    id: "slots",
    header: "Slots in use",
    width: "120px",
    render: (n) => {
      const u = slotUsage(n);
      return (
        <div className={v.gpu}>
          <span className={v.gpuName}>{u.busy} / {u.total}</span>
          <span />
          <div className={v.gpuBar}>
            <Meter value={u.busy} max={u.total} label={`slots in use on ${n.node_id}`} warnAt={101} badAt={101} />
          </div>
        </div>
      );
    },
  },
  { id: "version", header: "Version", width: "72px", render: (n) => <span className={v.muted}>{n.version !== null ? <Clip text={n.version} max={24} /> : "—"}</span> },
  {
    id: "actions",
    header: <span className="visually-hidden">Actions</span>,
    width: "90px",
    align: "right",
    render: (n) => (n.status === "Offline" ? null : <DrainButton nodeId={n.node_id} drained={n.eligibility === "ineligible"} />),
  },
];

export function NodesView() {
  const ids = useStore(stores.nodes, (st) => st.ids);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const [filter, setFilter] = useState("");
  const [adding, setAdding] = useState(false);
  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const out: NodeInfo[] = [];
    for (const id of ids) {
      const n = byId[id];
      if (n === undefined) continue;
      if (needle === "" || id.toLowerCase().includes(needle) || n.status.toLowerCase().includes(needle) || n.eligibility.includes(needle) || n.address.includes(needle)) out.push(n);
    }
    return out;
  }, [ids, byId, filter]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    let drained = 0;
    for (const id of ids) {
      const n = byId[id];
      if (n === undefined) continue;
      c[n.status] = (c[n.status] ?? 0) + 1;
      if (n.eligibility === "ineligible") drained++;
    }
    return { byStatus: c, drained };
  }, [ids, byId]);

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <input type="search" placeholder="Filter by id, status or address" aria-label="Filter nodes" value={filter} onChange={(e) => setFilter(e.target.value)} data-shortcut-focus />
        {Object.entries(counts.byStatus).map(([st, c]) => (
          <Badge key={st} tone={NODE_STATUS[st as NodeInfo["status"]].tone} dot>
            {c} {st.toLowerCase()}
          </Badge>
        ))}
        {counts.drained > 0 && (
          <Badge tone={ELIGIBILITY.ineligible.tone} title="Nodes an operator drained: ineligible for new placements">
            {counts.drained} drained
          </Badge>
        )}
        <span className={v.grow} />
        <Button variant="primary" onClick={() => setAdding(true)}>
          Add node
        </Button>
      </div>
      <div className={v.fill}>
        <Panel flush>
          <VirtualTable
            label="Nodes"
            testId="nodes-table"
            rows={rows}
            rowKey={(n) => n.node_id}
            columns={COLUMNS}
            rowHeight={52}
            onRowClick={(n) => navigate("nodes", n.node_id)}
            empty={ids.length === 0 ? <EmptyState title="No nodes yet">Start a worker agent with this orchestrator's URL — use “Add node”.</EmptyState> : <EmptyState title="No node matches the filter" />}
            footer={`${rows.length} of ${ids.length} nodes`}
          />
        </Panel>
      </div>
      <Dialog open={adding} onClose={() => setAdding(false)} title="Add a node" wide footer={<Button onClick={() => setAdding(false)}>Done</Button>}>
        <AddWorker />
      </Dialog>
    </div>
  );
}

import { useMemo } from "react";
import { useStore } from "zustand";
import { stores, useNow } from "../app-context.js";
import { AddWorker } from "../components/AddWorker.js";
import { RateChart } from "../components/RateChart.js";
import { Badge, EmptyState, Panel, StatTile } from "../components/ui.js";
import { formatAge, formatDuration, formatRate, formatTime } from "../lib/format.js";
import { href } from "../lib/router.js";
import { ELIGIBILITY, NODE_STATUS } from "../lib/status.js";
import { heartbeatAgeMs, slotUsage } from "../stores/nodes-store.js";
import { downsample } from "../stores/stats-store.js";
import { LEVEL_RANK } from "../stores/logs-store.js";
import v from "./views.module.css";

const CHART_POINTS = 300;

function Charts() {
  const history = useStore(stores.stats, (st) => st.history);
  const latest = useStore(stores.stats, (st) => st.latest);
  const tokens = useMemo(() => downsample(history, CHART_POINTS, (x) => x.tokens_per_second), [history]);
  const requests = useMemo(() => downsample(history, CHART_POINTS, (x) => x.requests_per_second), [history]);
  return (
    <div className={v.two}>
      <Panel
        title={<span className={v.chartTitle}>Tokens / s</span>}
        subtitle="last 15 min"
        actions={<span className={v.chartNow} data-testid="tokens-per-second">{formatRate(latest?.tokens_per_second)}</span>}
      >
        <div className={v.chart}>
          <RateChart data={tokens} color="var(--chart-1)" unit="tok/s" label="Tokens per second" />
        </div>
      </Panel>
      <Panel title="Requests / s" subtitle="last 15 min" actions={<span className={v.chartNow}>{formatRate(latest?.requests_per_second, 2)}</span>}>
        <div className={v.chart}>
          <RateChart data={requests} color="var(--chart-2)" unit="req/s" label="Requests per second" />
        </div>
      </Panel>
    </div>
  );
}

function NodesGlance() {
  const ids = useStore(stores.nodes, (st) => st.ids);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const offset = useStore(stores.nodes, (st) => st.clockOffsetMs);
  const now = useNow();
  const shown = ids.slice(0, 8);
  return (
    <Panel title="Nodes" subtitle={`${ids.length} registered`} actions={<a href={href("nodes")}>All nodes →</a>} flush>
      <ul className={v.list} data-testid="overview-nodes">
        {shown.map((id) => {
          const n = byId[id];
          if (n === undefined) return null;
          const st = NODE_STATUS[n.status];
          const slots = slotUsage(n);
          return (
            <li key={id} className={v.listItem} data-node-id={id}>
              <a className={`${v.cellLink} ${v.grow}`} href={href("nodes", id)}>
                {id}
              </a>
              <span className={v.faint}>{n.pools.filter((p) => p.ready).length}/{n.pools.length} pools · {slots.busy}/{slots.total} slots</span>
              <span className={`${v.faint} ${v.small}`}>{formatAge(heartbeatAgeMs(n, now, offset))}</span>
              <Badge tone={st.tone} dot>
                {st.words}
              </Badge>
              {n.eligibility === "ineligible" && <Badge tone={ELIGIBILITY.ineligible.tone}>{ELIGIBILITY.ineligible.words}</Badge>}
            </li>
          );
        })}
        {ids.length > shown.length && (
          <li className={v.listItem}>
            <a href={href("nodes")}>and {ids.length - shown.length} more…</a>
          </li>
        )}
      </ul>
    </Panel>
  );
}

function RecentErrors() {
  const entries = useStore(stores.logs, (st) => st.entries);
  const errors = useMemo(() => {
    const out = [];
    for (let i = entries.length - 1; i >= 0 && out.length < 6; i--) {
      const e = entries[i];
      if (e !== undefined && LEVEL_RANK[e.level] >= LEVEL_RANK.warn) out.push(e);
    }
    return out;
  }, [entries]);
  return (
    <Panel title="Recent errors and warnings" actions={<a href={href("logs")}>Logs →</a>} flush>
      {errors.length === 0 ? (
        <EmptyState title="Nothing to worry about">No warnings or errors in the recent log.</EmptyState>
      ) : (
        <ul className={v.list}>
          {errors.map((e) => (
            <li key={e.seq} className={v.listItem}>
              <Badge tone={e.level === "warn" ? "warn" : "bad"}>{e.level}</Badge>
              {e.code !== undefined && <code className={v.small}>{e.code}</code>}
              <span className={v.grow} title={e.message}>
                {e.message}
              </span>
              <span className={`${v.faint} ${v.small}`}>{formatTime(e.at_ms)}</span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

export function OverviewView() {
  const latest = useStore(stores.stats, (st) => st.latest);
  const nodeCount = useStore(stores.nodes, (st) => st.ids.length);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const models = useMemo(() => {
    const set = new Set<string>();
    for (const n of Object.values(byId)) if (n.status !== "Offline") for (const m of n.models) set.add(m.sha256);
    return set.size;
  }, [byId]);
  const capacity = useStore(stores.meta, (st) => st.settings?.admission_capacity ?? null);

  if (nodeCount === 0) {
    return (
      <div className={v.page}>
        <Panel title="Add your first worker" subtitle="no worker has registered with this orchestrator yet" id="onboard">
          <AddWorker />
        </Panel>
        <Charts />
      </div>
    );
  }

  return (
    <div className={v.page}>
      <div className={v.stats}>
        <StatTile testId="stat-nodes" label="Nodes online" value={`${latest?.nodes_online ?? 0}`} unit={`/ ${latest?.nodes_total ?? nodeCount}`} hint={latest && latest.nodes_online < latest.nodes_total ? `${latest.nodes_total - latest.nodes_online} not online` : "all nodes heartbeating"} />
        <StatTile testId="stat-pools" label="Pools ready" value={`${latest?.pools_ready ?? 0}`} unit={`/ ${latest?.pools_total ?? 0}`} hint="ready to take work" />
        <StatTile testId="stat-models" label="Models" value={models} hint="across live nodes" />
        <StatTile testId="stat-queue" label="Queue depth" value={latest?.queue_depth ?? 0} unit={capacity !== null ? `/ ${capacity}` : undefined} hint={`${latest?.running ?? 0} running now`} />
        <StatTile
          testId="stat-first-token"
          label="First token p50 / p95"
          value={latest?.first_token_ms_p50 != null ? formatDuration(latest.first_token_ms_p50) : "—"}
          hint={latest?.first_token_ms_p95 != null ? `p95 ${formatDuration(latest.first_token_ms_p95)}` : "no completions yet"}
        />
      </div>
      <Charts />
      <div className={v.two}>
        <NodesGlance />
        <RecentErrors />
      </div>
    </div>
  );
}

import { useEffect, useState } from "react";
import { METRICS_NODE_LIST_PAGE, METRICS_RANGE_MS, type MetricsHistoryResponse, type MetricsRange } from "../../src-shared/dashboard/metrics-history.js";
import { api } from "../app-context.js";
import { HistoryChart } from "../components/HistoryChart.js";
import { Badge, EmptyState, Loading, Panel, Tabs } from "../components/ui.js";
import { href } from "../lib/router.js";
import v from "./views.module.css";

const RANGES: { id: MetricsRange; label: string }[] = [
  { id: "15m", label: "15 min" },
  { id: "1h", label: "1 h" },
  { id: "6h", label: "6 h" },
  { id: "24h", label: "24 h" },
];
const REFRESH_MS = 5000;

/**
 * History without Prometheus: cluster aggregates first (CPU, memory, GPUs, tokens/s and first-token
 * latency per pool, queue, rejections, a few per-node lines), then one node's own charts at
 * #/metrics/<node>. Refreshed every few seconds from GET /v2/metrics/history.
 */
export function MetricsView({ nodeId }: { nodeId: string | null }) {
  const [range, setRange] = useState<MetricsRange>("15m");
  const [data, setData] = useState<MetricsHistoryResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const [shown, setShown] = useState(METRICS_NODE_LIST_PAGE);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (): Promise<void> => {
      try {
        setData(await api.metricsHistory(range, nodeId, abort.signal));
        setError(null);
      } catch (err) {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void load(), REFRESH_MS);
    };
    setData(null);
    void load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [range, nodeId]);

  const current = data !== null && data.range === range && data.node === nodeId ? data : null;
  const matching = current === null ? [] : current.nodes.filter((n) => n.node_id.includes(filter.trim()));
  return (
    <div className={v.page} data-testid="metrics-view">
      <div className={v.toolbar}>
        <Tabs tabs={RANGES} value={range} onChange={setRange} label="Time range" />
        {nodeId !== null && <a href={href("metrics")}>← All nodes</a>}
        {current?.grafana_url != null && (
          <a href={current.grafana_url} target="_blank" rel="noreferrer">
            Open in Grafana
          </a>
        )}
        {error !== null && <Badge tone="bad">{error}</Badge>}
      </div>
      {current === null ? (
        <Loading what="metrics history" />
      ) : (
        <>
          <div className={v.two} data-testid="metrics-charts" data-range={current.range}>
            {current.charts.map((c) => (
              <Panel key={c.id} title={c.title} subtitle={`last ${RANGES.find((r) => r.id === current.range)?.label ?? current.range}`}>
                <div className={v.chart} data-testid={`chart-${c.id}`} data-series={c.series.map((s) => s.name).join(",")} data-points={Math.max(0, ...c.series.map((s) => s.points.length))}>
                  {c.series.length === 0 ? <EmptyState title="No data in this range yet" /> : <HistoryChart chart={c} fromMs={current.to_ms - METRICS_RANGE_MS[current.range]} toMs={current.to_ms} />}
                </div>
              </Panel>
            ))}
          </div>
          {nodeId === null && (
            <Panel title="Nodes" subtitle={`latest sample; open one for its own charts · ${Math.min(shown, matching.length)} of ${matching.length}${filter.trim() === "" ? "" : ` matching (${current.nodes.length} nodes)`}`}>
              <div className={v.toolbar}>
                <input type="search" placeholder="Filter nodes" aria-label="Filter nodes" value={filter} onChange={(e) => setFilter(e.target.value)} />
              </div>
              <ul className={v.list} data-testid="metrics-nodes" data-total={current.nodes.length} data-matching={matching.length}>
                {matching.slice(0, shown).map((n) => (
                  <li key={n.node_id} className={v.listItem}>
                    <a className={v.cellLink} href={href("metrics", n.node_id)}>
                      {n.node_id}
                    </a>
                    <span className={v.faint}>
                      CPU {n.cpu_ratio === null ? "–" : `${Math.round(n.cpu_ratio * 100)} %`} · RAM {n.memory_used_ratio === null ? "–" : `${Math.round(n.memory_used_ratio * 100)} %`}
                      {n.gpus > 0 ? ` · ${n.gpus} GPU${n.gpus > 1 ? "s" : ""}` : ""}
                    </span>
                  </li>
                ))}
                {current.nodes.length === 0 && <li className={v.listItem}>No node has reported telemetry in this range.</li>}
              </ul>
              {matching.length > shown && (
                <button type="button" onClick={() => setShown(shown + METRICS_NODE_LIST_PAGE)}>
                  Show {Math.min(METRICS_NODE_LIST_PAGE, matching.length - shown)} more
                </button>
              )}
            </Panel>
          )}
        </>
      )}
    </div>
  );
}

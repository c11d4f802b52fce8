import { METRICS_RANGE_MS, type MetricsChart, type MetricsHistoryQuery, type MetricsHistoryResponse, type MetricsSeries } from "../../../src-shared/dashboard/metrics-history.js";
import type { HistoryRow, MetricsHistoryStore } from "./history-store.js";
import type { NodeTelemetry } from "./node-telemetry.js";

/** Points per line at most, whatever the range: 1000 nodes stay cheap because lines are aggregates. */
const MAX_POINTS = 360;
/** Per-node lines on the aggregate page; more nodes are reached by drilling down. */
export const NODE_LINES = 16;
const POOL_LINES = 16;

type Unit = MetricsChart["unit"];

/** Groups rows `kind|subject|field` into named lines, picking the field and naming each line (the first `limit` subjects in row order). */
export function lines(rows: HistoryRow[], field: string, name: (subject: string) => string, limit = Infinity): MetricsSeries[] {
  const bySubject = new Map<string, MetricsSeries>();
  for (const row of rows) {
    const parts = row.series.split("|");
    if (parts.at(-1) !== field) continue;
    const subject = parts.slice(1, -1).join("|");
    let series = bySubject.get(subject);
    if (series === undefined) {
      if (bySubject.size >= limit) continue;
      series = { name: name(subject), points: [] };
      bySubject.set(subject, series);
    }
    series.points.push({ t: row.t, v: Math.round(row.v * 100) / 100 });
  }
  return [...bySubject.values()];
}

const chart = (id: string, title: string, unit: Unit, series: MetricsSeries[]): MetricsChart => ({ id, title, unit, series });

export function buildMetricsHistory(store: MetricsHistoryStore, telemetry: NodeTelemetry, query: MetricsHistoryQuery, now: number, stepMs: number, grafanaUrl: string | null): MetricsHistoryResponse {
  const rangeMs = METRICS_RANGE_MS[query.range];
  const tier = rangeMs > 3_600_000 ? 1 : 0;
  const bucketMs = Math.max(tier === 1 ? 60_000 : stepMs, Math.ceil(rangeMs / MAX_POINTS / 1000) * 1000);
  const fromMs = now - rangeMs;
  const rows = (prefix: string) => store.query(tier, prefix, fromMs, bucketMs);
  // The first `limit` lines of one field under a large prefix, read for those series only (what lines() keeps of the whole prefix).
  const firstRows = (prefix: string, field: string, limit: number) => store.querySeries(tier, store.firstSeries(tier, prefix, field, fromMs, limit), fromMs, bucketMs);
  const charts: MetricsChart[] = [];
  const node = query.node ?? null;

  if (node === null) {
    const cluster = rows("cluster|");
    const field = (f: string, n: string) => lines(cluster, f, () => n);
    charts.push(chart("cluster-cpu", "CPU, all nodes", "percent", [...field("cpu_mean", "mean"), ...field("cpu_max", "max")]));
    charts.push(chart("cluster-memory", "Memory used, all nodes", "percent", field("mem_ratio", "used")));
    const gpu = [...field("gpu_util_mean", "GPU utilisation (mean)"), ...field("vram_ratio", "VRAM used")];
    if (gpu.length > 0) charts.push(chart("cluster-gpu", "GPUs, all nodes", "percent", gpu));
    const poolLines = (f: string, name: (p: string) => string) => lines(firstRows("pool|", f, POOL_LINES), f, name, POOL_LINES);
    charts.push(chart("tokens", "Tokens/s per pool", "tokens/s", [...field("tokens_per_s", "all pools"), ...poolLines("tokens_per_s", (p) => p)]));
    charts.push(chart("first-token", "First-token latency per pool", "ms", [...poolLines("ft_p50", (p) => `${p} p50`), ...poolLines("ft_p95", (p) => `${p} p95`)]));
    charts.push(chart("queue", "Queue depth by priority", "tasks", byLastPart(rows("queue|"))));
    charts.push(chart("rejections", "Rejections by reason", "per second", reasonLines(rows("reject|"))));
    charts.push(chart("node-cpu", "CPU per node", "percent", lines(firstRows("node|", "cpu", NODE_LINES), "cpu", (n) => n, NODE_LINES)));
    charts.push(chart("node-memory", "Memory used per node", "percent", lines(firstRows("node|", "mem_ratio", NODE_LINES), "mem_ratio", (n) => n, NODE_LINES)));
  } else {
    const own = rows(`node|${node}|`);
    const gpus = rows(`gpu|${node}|`);
    const gpuName = (subject: string) => `GPU ${subject.split("|").at(-1) ?? subject}`;
    charts.push(chart("node-cpu", `CPU of ${node}`, "percent", lines(own, "cpu", () => "cpu")));
    charts.push(chart("node-memory", `Memory of ${node}`, "bytes", [...lines(own, "mem_used", () => "used"), ...lines(own, "mem_total", () => "total")]));
    charts.push(chart("node-load", `Load of ${node}`, "load", lines(own, "load1", () => "1 min")));
    if (gpus.length > 0) {
      charts.push(chart("gpu-util", "GPU utilisation", "percent", lines(gpus, "util", gpuName)));
      charts.push(chart("gpu-vram", "VRAM used", "bytes", lines(gpus, "vram_used", gpuName)));
      charts.push(chart("gpu-temp", "GPU temperature", "celsius", lines(gpus, "temp", gpuName)));
      charts.push(chart("gpu-power", "GPU power", "watts", lines(gpus, "power", gpuName)));
    }
  }

  const nodeList = telemetry.fresh(fromMs).map(([node_id, t]) => ({
    node_id,
    cpu_ratio: t.cpu_utilization_ratio,
    memory_used_ratio: t.memory_total_bytes > 0 ? (t.memory_total_bytes - t.memory_available_bytes) / t.memory_total_bytes : null,
    gpus: t.gpus.length,
  }));
  nodeList.sort((a, b) => a.node_id.localeCompare(b.node_id));
  return { range: query.range, node, from_ms: fromMs, to_ms: now, step_ms: bucketMs, charts, nodes: nodeList, grafana_url: grafanaUrl };
}

function reasonLines(rows: HistoryRow[]): MetricsSeries[] {
  // Only reasons that happened in the range: the known-at-zero reasons would be flat lines.
  return byLastPart(rows).filter((s) => s.points.some((p) => p.v > 0));
}

/** `queue||interactive` → line "interactive". */
function byLastPart(rows: HistoryRow[]): MetricsSeries[] {
  const out = new Map<string, MetricsSeries>();
  for (const row of rows) {
    const name = row.series.split("|").at(-1) ?? row.series;
    const series = out.get(name) ?? { name, points: [] };
    series.points.push({ t: row.t, v: Math.round(row.v * 100) / 100 });
    out.set(name, series);
  }
  return [...out.values()];
}

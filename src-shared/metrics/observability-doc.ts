import { ORCHESTRATOR_METRIC_DEFS, type MetricDef } from "./metric-names.js";
import { WORKER_METRIC_DEFS } from "./worker-metric-names.js";

// docs/OBSERVABILITY.md is generated from the metric table (npm run docs:metrics); a test fails on drift.

function row(def: MetricDef, implicit: readonly string[]): string {
  const labels = [...implicit, ...def.labelNames].map((l) => `\`${l}\``).join(", ") || "—";
  const known = def.knownLabels === undefined ? "" : Object.entries(def.knownLabels).map(([l, vs]) => `${l}: ${vs.join(", ")}`).join("; ");
  return `| \`${def.name}\` | ${def.type} | ${labels} | ${def.help.replace(/\|/g, "\\|")} | ${known === "" ? "—" : known} |`;
}

function table(defs: readonly MetricDef[], implicit: readonly string[] = []): string[] {
  return ["| Metric | Type | Labels | Meaning | Starts at 0 for |", "|---|---|---|---|---|", ...defs.map((d) => row(d, implicit))];
}

export function renderObservabilityDoc(): string {
  return [
    "# Observability",
    "",
    "<!-- Generated from src-shared/metrics by `npm run docs:metrics`; edit the table there, not this file. -->",
    "",
    "Both processes serve Prometheus text at `GET /metrics` (bearer token required unless `ORCHD_METRICS_PUBLIC=true` on the",
    "orchestrator). Every metric below is present on a fresh process: series whose label values are known in advance",
    "(column *Starts at 0 for*) are exported at 0 before anything happened, so `rate()` and alerts see them; series",
    "labelled by a node, pool or GPU appear when it does. Besides these, the orchestrator exports Node.js process",
    "metrics prefixed `orchd_process_` and the worker prefixed `llorch_worker_process_` and `llorch_worker_nodejs_`.",
    "",
    "Alert rules: `deploy/prometheus/llama-orch-alerts.yml` (unit tests beside them, runbook in [RUNBOOK.md](RUNBOOK.md)).",
    "Grafana dashboard: `deploy/grafana/llama-orch-overview.json`. Without Prometheus, the dashboard's **Metrics** view",
    "shows the same history (`GET /v2/metrics/history`, kept in the orchestrator's SQLite: one hour at",
    "`ORCHD_METRICS_HISTORY_STEP_MS`, a day at one minute).",
    "",
    "## Orchestrator",
    "",
    ...table(ORCHESTRATOR_METRIC_DEFS),
    "",
    "## Worker agent",
    "",
    "Every worker series carries `node_id`. Host metrics are sampled every 5 s from the OS; GPU metrics come from",
    "`nvidia-smi` (NVIDIA) and `rocm-smi --json` (AMD) when they are installed; fields the tool does not report, such as",
    "utilisation of a MIG-enabled GPU or the power of an MI250's secondary die, are left out rather than reported as 0.",
    "AMD GPUs are labelled `gpu=\"cardN\"` (rocm-smi's numbering), NVIDIA GPUs by nvidia-smi's index. The same sample",
    "rides along with each heartbeat, so the orchestrator keeps a short history without scraping workers.",
    "",
    "Apple silicon: no `llorch_gpu_*` series (and `llorch_gpus` 0). macOS exposes GPU utilisation, temperature and power",
    "only through `powermetrics`, which needs root, and a worker does not run as root; rather than invent figures the",
    "worker reports the host: `llorch_host_memory_total_bytes` is the unified memory (`os.totalmem()`), shared by CPU",
    "and GPU, and `llorch_host_memory_available_bytes` is `os.freemem()`, which on macOS leaves out inactive and",
    "purgeable pages and so reads low. The GPU's memory budget shown at registration is what node-llama-cpp's Metal",
    "backend reports (`getVramState()`).",
    "",
    ...table(WORKER_METRIC_DEFS, ["node_id"]),
    "",
  ].join("\n");
}

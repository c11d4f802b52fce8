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
    "`ORCHD_METRICS_HISTORY_STEP_MS`, a day at one minute). Points are stored up to 12 per row, so a crash loses at",
    "most the last minute of it; the first start of a version with this layout drops the history kept by an older",
    "one (it is a cache of what Prometheus would hold) and starts a new one.",
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
    "## Tracing (OpenTelemetry)",
    "",
    "Off unless an OTLP endpoint is configured; then both processes export spans over OTLP/HTTP (JSON) in batches,",
    "at most one POST a second. Settings, on the orchestrator and on each worker (env or config file, see",
    "[CONFIGURATION.md](CONFIGURATION.md)):",
    "",
    "| Variable | Meaning |",
    "|---|---|",
    "| `OTEL_EXPORTER_OTLP_ENDPOINT` | Collector base URL, e.g. `http://otel-collector:4318`; spans go to `<url>/v1/traces`. |",
    "| `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | Full traces URL; wins over the base URL. |",
    "| `OTEL_SERVICE_NAME` | `service.name` (default `llama-orch-orchestrator` / `llama-orch-worker`; the HOME profile's local worker inherits the endpoint and gets `<name>-worker`). |",
    "",
    "One request is one trace across both services. The W3C `traceparent` a client sends is honoured (its",
    "trace id is kept); the orchestrator passes its own context to the worker the same way.",
    "",
    "```",
    "POST /v1/chat/completions        (orchestrator, server; also /v2/tasks, /v1/completions, /v1/responses,",
    "│                                  /v1/embeddings, /v1/messages, /api/chat, /api/generate, /api/embed)",
    "└─ task                          task id, model, node, pool, outcome, token counts; error code if failed",
    "   ├─ admission                  validation, model, budget, feasibility, enqueue; refusals recorded here",
    "   ├─ queue.wait                 until placed (again after a failed first attempt)",
    "   ├─ placement                  node, pool, candidates considered, reasons",
    "   └─ worker.infer               (client) one attempt on one worker; event first_token",
    "      └─ POST /v2/pools/{id}/infer   (worker, server)",
    "         ├─ engine.prefill       slot taken → first token; gen_ai.usage.input_tokens",
    "         └─ engine.decode        first token → end; gen_ai.usage.output_tokens, stop reason",
    "```",
    "",
    "Heartbeats, probes and dashboard reads are not traced. With tracing off the tracer is a no-op object: the",
    "admission benchmark's ratio to bare node:http is unchanged within run-to-run noise (docs/PERFORMANCE.md).",
    "",
  ].join("\n");
}

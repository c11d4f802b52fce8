import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetricsHistoryResponseSchema } from "../src-shared/dashboard/metrics-history.js";
import { ORCHESTRATOR_METRIC_DEFS, type MetricDef } from "../src-shared/metrics/metric-names.js";
import { WORKER_METRIC_DEFS } from "../src-shared/metrics/worker-metric-names.js";
import { knownLabelSets } from "../src-node/metric-factory.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";

// A fresh orchestrator and a fresh worker: every metric docs/OBSERVABILITY.md documents is on
// /metrics, every series with known label values is there at 0, and nothing undocumented is.

let orch: TestOrchestrator;
let worker: WorkerProcess;

async function scrape(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

const declared = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`));

function seriesLine(def: MetricDef, labels: Record<string, string>): RegExp {
  // Label order in the exposition is the metric's; other labels (node_id) may come first.
  const inner = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`).join(",");
  // A histogram's series at 0 is its _count (and _sum and buckets) for those labels.
  const name = def.type === "histogram" ? `${def.name}_count` : def.name;
  return new RegExp(`^${name}\\{(?:[^}]*,)?${inner}\\} 0$`, "m");
}

function checkDocumented(text: string, defs: readonly MetricDef[], defaultPrefixes: readonly string[]): void {
  const types = declared(text);
  for (const def of defs) expect(types.has(`${def.name} ${def.type}`), `${def.name} (${def.type}) is on /metrics`).toBe(true);
  const documented = new Set(defs.map((d) => d.name));
  for (const entry of types) {
    const name = entry.split(" ")[0] as string;
    if (!defaultPrefixes.some((p) => name.startsWith(p))) expect(documented.has(name), `${name} is documented in src-shared/metrics`).toBe(true);
  }
}

describe("every documented metric is on a fresh process's /metrics", () => {
  beforeAll(async () => {
    orch = await startTestOrchestrator({ metrics_history_step_ms: 1000 });
  }, 30_000);

  afterAll(async () => {
    await worker?.kill();
    await orch?.close();
  });

  it("orchestrator: documented names and types; known label values at 0 before anything happened", async () => {
    const text = await scrape(orch.url, orch.token);
    checkDocumented(text, ORCHESTRATOR_METRIC_DEFS, ["orchd_process_"]);
    for (const def of ORCHESTRATOR_METRIC_DEFS) for (const labels of knownLabelSets(def)) expect(text, `${def.name}${JSON.stringify(labels)}`).toMatch(seriesLine(def, labels));
    expect(text).toMatch(/^orchd_node_deregistrations_total\{outcome="success"\} 0$/m);
  });

  it("worker: documented names and types, host telemetry sampled for real, heartbeats carry it to the orchestrator's history", async () => {
    worker = await startWorkerProcess({ nodeId: "fresh", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token });
    const text = await scrape(worker.address, orch.token);
    checkDocumented(text, WORKER_METRIC_DEFS, ["llorch_worker_process_", "llorch_worker_nodejs_"]);
    for (const def of WORKER_METRIC_DEFS) for (const labels of knownLabelSets(def)) expect(text, `${def.name}${JSON.stringify(labels)}`).toMatch(new RegExp(`^${def.name}\\{[^}]*${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}[^}]*\\} \\d`, "m"));
    expect(Number(/^llorch_host_memory_total_bytes\{[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^llorch_host_cpus\{[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);

    const deadline = Date.now() + 15_000;
    let cpuPoints = 0;
    while (Date.now() < deadline && cpuPoints < 2) {
      await new Promise((r) => setTimeout(r, 500));
      const history = MetricsHistoryResponseSchema.parse(await (await orch.api("/v2/metrics/history?range=15m&node=fresh")).json());
      cpuPoints = history.charts.find((c) => c.id === "node-cpu")?.series[0]?.points.length ?? 0;
    }
    expect(cpuPoints).toBeGreaterThanOrEqual(2);
  }, 40_000);
});

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { testModelName } from "../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { followTaskEvents } from "../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";

// The alert rules and the Grafana dashboard in deploy/ are checked against a real Prometheus
// scraping a real orchestrator that served real tasks: every expression must evaluate.
const RULES = "deploy/prometheus/llama-orch-alerts.yml";
const DASHBOARD = "deploy/grafana/llama-orch-overview.json";
const havePrometheus = existsSync("/usr/bin/prometheus") && existsSync("/usr/bin/promtool");
if (!havePrometheus) console.log("skipped: observability tests need Debian's prometheus package (/usr/bin/prometheus, /usr/bin/promtool)");

let orch: TestOrchestrator;
let worker: WorkerProcess;
let prometheus: ChildProcess | undefined;
let promUrl = "";
let dir = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function query(expr: string): Promise<{ status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string }> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
}

function alertExpressions(): string[] {
  return [...readFileSync(RULES, "utf8").matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1] as string);
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: { targets: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

describe.skipIf(!havePrometheus)("observability: alert rules and dashboard against a live scrape", () => {
  beforeAll(async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
    worker = await startWorkerProcess({ nodeId: "obs", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      if (nodes[0]?.pools[0]?.ready) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id: id, session_id: randomUUID(), workload: "completion", model_ref: testModelName("tiny"), engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hello", max_tokens: 16, deadline_ms: 30_000 }) });
      await followTaskEvents(orch.url, orch.token, id).done;
    }

    dir = mkdtempSync(join(tmpdir(), "llorch-prom-"));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        `rule_files: ["${join(process.cwd(), RULES)}"]`,
        "scrape_configs:",
        "  - job_name: orchestrator",
        `    authorization: { type: Bearer, credentials: "${orch.token}" }`,
        `    static_configs: [{ targets: ["${new URL(orch.url).host}"] }]`,
      ].join("\n"),
    );
    prometheus = spawn("/usr/bin/prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    const ready = Date.now() + 30_000;
    while (Date.now() < ready) {
      try {
        const up = await query('up{job="orchestrator"}');
        // Two scrapes are needed before rate() has something to work with.
        if (up.data.result[0]?.value[1] === "1" && (await query("count_over_time(up[1m])")).data.result[0]?.value[1] !== "1") break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    await worker?.kill();
    await orch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("promtool accepts the alert rules", () => {
    const result = spawnSync("/usr/bin/promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${alertExpressions().length} rules found`);
  });

  it("Prometheus scrapes the orchestrator with the bearer token", async () => {
    expect((await query('up{job="orchestrator"}')).data.result[0]?.value[1]).toBe("1");
  });

  it.each(alertExpressions())("alert expression evaluates: %s", async (expr) => {
    const result = await query(expr);
    expect(result.status, result.error).toBe("success");
  });

  it.each(dashboardExpressions())("dashboard query evaluates: %s", async (expr) => {
    const result = await query(expr);
    expect(result.status, result.error).toBe("success");
  });

  it("the cluster facts are visible in Prometheus", async () => {
    expect((await query("sum(orchd_nodes_online)")).data.result[0]?.value[1]).toBe("1");
    expect((await query("sum(orchd_pools_available)")).data.result[0]?.value[1]).toBe("1");
    expect(Number((await query("sum(tokens_out_total)")).data.result[0]?.value[1])).toBe(48);
    expect(Number((await query("sum(tasks_completed_total)")).data.result[0]?.value[1])).toBe(3);
    expect(Number((await query('sum(orchd_pool_health_checks_total{outcome="success"})')).data.result[0]?.value[1])).toBeGreaterThan(0);
    // With one node online, the redundancy alerts are the ones whose condition holds.
    expect((await query("sum(orchd_nodes_online) < 2")).data.result).toHaveLength(1);
    expect((await query("sum(orchd_nodes_online) == 0")).data.result).toHaveLength(0);
    // The queue-saturation ratio has a series (an empty queue: 0), so the alert sees data, not absence.
    expect((await query("sum by (instance) (queue_depth) / sum by (instance) (orchd_admission_capacity)")).data.result.map((r) => r.value[1])).toEqual(["0"]);
  });
});

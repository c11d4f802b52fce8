import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_LINES } from "../src-main/orchestrator/metrics/history-view.js";
import { METRICS_NODE_LIST_PAGE, MetricsHistoryResponseSchema } from "../src-shared/dashboard/metrics-history.js";
import type { HostTelemetry } from "../src-shared/nodes/host-telemetry.js";
import { fleetNodeId as nodeId, startNodeFleet, type NodeFleet } from "../test-support/node-fleet.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { waitFor as until } from "../test-support/wait-for.js";
import { longTasks as readLongTasks, recordLongTasks } from "../test-support/long-tasks.js";

// The Metrics view with 1,000 nodes in Debian's Chromium: "render 1000 nodes without freezing
// (aggregate, then drill down)". 1,000 simulated nodes register and heartbeat with host and GPU
// telemetry through the real orchestrator API (one shared HTTP server answers the orchestrator's
// watch, health and pool probes for all of them), so the history the view reads is written by the
// real recorder. The page must show the cluster aggregates, at most NODE_LINES per-node lines, list
// all 1,000 nodes and drill into one, and its main thread must never be blocked for
// LONG_TASK_BOUND_MS or more (a PerformanceObserver on `longtask` entries, installed before the page's
// own scripts).
// Screenshot: test-results/screenshots/metrics-1000-nodes.png.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const NODES = 1000;
const ROUNDS = 4;
/**
 * The longest main-thread task allowed. Generous on purpose: on this 2-core box under a load average
 * of 7–10 the aggregate page's longest task measured 0.87–1.6 s (React committing its ~10 charts);
 * before the node list was paged a 1,000-row list came on top of that on every 5 s refresh.
 */
const LONG_TASK_BOUND_MS = 2000;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/metrics-scale.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const GIB = 1024 ** 3;
function telemetry(i: number, round: number): HostTelemetry {
  const util = ((i * 7 + round * 13) % 100) / 100;
  return {
    sampled_at_ms: Date.now(), cpu_utilization_ratio: util, cpus: 8, load1: util * 8, memory_total_bytes: 32 * GIB, memory_available_bytes: Math.round((1 - util / 2) * 32 * GIB),
    gpus: [{ gpu: "0", name: "Sim GPU", uuid: `GPU-${i}`, utilization_ratio: util, memory_total_bytes: 24 * GIB, memory_used_bytes: Math.round(util * 24 * GIB), temperature_celsius: 40 + util * 40, power_watts: 100 + util * 200, power_limit_watts: 350 }],
  };
}

let orch: TestOrchestrator;
let fleet: NodeFleet | undefined;
let browser: Browser;
let page: Page;
const consoleProblems: string[] = [];

const chart = (id: string) => page.getByTestId(`chart-${id}`);
const longTasks = () => readLongTasks(page);

describe.skipIf(!hasChromium)("Metrics view with 1,000 nodes in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    [orch, browser] = await Promise.all([
      // Failure detection is not under test: silence bounds long enough that a slow round on a loaded box keeps every node.
      startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, metrics_history_step_ms: 1000, log_level: "warn", node_suspect_ms: 30_000, node_timeout_ms: 60_000 }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] }),
    ]);
    const t0 = performance.now();
    // Nodes register and heartbeat through the real API (test-support/node-fleet.ts); a few heartbeat
    // rounds with telemetry, each a history step apart, so every node has several points.
    fleet = await startNodeFleet(orch.api, NODES);
    for (let round = 0; round < ROUNDS; round++) {
      const started = Date.now();
      await fleet.heartbeatAll(round, (i) => ({ telemetry: telemetry(i, round) }));
      await new Promise((r) => setTimeout(r, Math.max(0, 1100 - (Date.now() - started))));
    }
    console.log(`metrics-scale: ${NODES} nodes registered and ${ROUNDS} heartbeat rounds in ${Math.round(performance.now() - t0)} ms`);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 }, colorScheme: "light" })).newPage();
    await recordLongTasks(page);
    page.on("console", (msg) => {
      if (msg.type() === "error" && !msg.text().includes("frame-ancestors")) consoleProblems.push(msg.text());
    });
    page.on("pageerror", (err) => consoleProblems.push(`pageerror: ${err.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await fleet?.close();
    await orch?.close();
  }, 30_000);

  it("the history holds all 1,000 nodes, aggregated", async () => {
    const history = await until("aggregate history of 1,000 nodes", async () => {
      const h = MetricsHistoryResponseSchema.parse(await (await orch.api("/v2/metrics/history?range=15m")).json());
      const cpu = h.charts.find((c) => c.id === "cluster-cpu");
      return h.nodes.length === NODES && (cpu?.series[0]?.points.length ?? 0) >= 3 ? h : undefined;
    }, 30_000);
    expect(history.charts.find((c) => c.id === "node-cpu")?.series.length).toBe(NODE_LINES);
    expect(history.charts.find((c) => c.id === "cluster-gpu")?.series.length).toBeGreaterThan(0);
  }, 40_000);

  it("loads aggregate charts, at most NODE_LINES per-node lines and the list of all nodes, without long main-thread blocks", async () => {
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/metrics";
    });
    await until("aggregate charts with history", async () => Number(await chart("cluster-cpu").getAttribute("data-points").catch(() => "0")) >= 3, 30_000);
    expect(await chart("cluster-cpu").getAttribute("data-series")).toBe("mean,max");
    expect(await chart("cluster-gpu").count()).toBe(1);
    const nodeLines = ((await chart("node-cpu").getAttribute("data-series")) ?? "").split(",");
    expect(nodeLines.length).toBe(NODE_LINES);
    expect(await chart("node-cpu").locator("path.recharts-curve").count()).toBe(NODE_LINES);
    // The list: all 1,000 counted, the first page of links drawn, more on request.
    const list = page.getByTestId("metrics-nodes");
    expect(await list.getAttribute("data-total")).toBe(String(NODES));
    expect(await list.getByRole("link").count()).toBe(METRICS_NODE_LIST_PAGE);
    await page.screenshot({ path: join(SHOTS, "metrics-1000-nodes.png") });
    await page.getByRole("button", { name: `Show ${METRICS_NODE_LIST_PAGE} more` }).click();
    await until("a second page of nodes", async () => (await list.getByRole("link").count()) === 2 * METRICS_NODE_LIST_PAGE);
    const tasks = await longTasks();
    console.log(`metrics-scale aggregate page: ${tasks.length} long tasks, longest ${Math.round(Math.max(0, ...tasks))} ms`);
    expect(Math.max(0, ...tasks)).toBeLessThan(LONG_TASK_BOUND_MS);
  }, 60_000);

  it("drills down into one node of the thousand", async () => {
    // The last node is beyond the pages shown: the filter finds it.
    const target = nodeId(NODES - 1);
    await page.getByRole("searchbox", { name: "Filter nodes" }).fill(target);
    await until("the filter finds the node", async () => (await page.getByTestId("metrics-nodes").getAttribute("data-matching")) === "1");
    await page.getByTestId("metrics-nodes").getByRole("link", { name: target, exact: true }).click();
    await until("the node's own charts", async () => (await chart("node-cpu").getAttribute("data-series").catch(() => null)) === "cpu" && Number(await chart("node-cpu").getAttribute("data-points")) >= 3, 30_000);
    expect(await chart("node-memory").getAttribute("data-series")).toBe("used,total");
    expect(await page.getByTestId("metrics-view").textContent()).toContain(target);
    const tasks = await longTasks();
    console.log(`metrics-scale after drill-down: ${tasks.length} long tasks, longest ${Math.round(Math.max(0, ...tasks))} ms`);
    expect(Math.max(0, ...tasks)).toBeLessThan(LONG_TASK_BOUND_MS);
    expect(consoleProblems).toEqual([]);
  }, 60_000);
});

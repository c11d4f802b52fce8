import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetricsHistoryResponseSchema } from "../src-shared/dashboard/metrics-history.js";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { testModelName } from "../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { followTaskEvents } from "../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";
import { waitFor as until } from "../test-support/wait-for.js";

// The Metrics view in Debian's Chromium against a real orchestrator (history step 1 s) and two real
// workers: after a short load it shows per-node CPU/RAM history and per-pool tokens/s, and it
// switches time ranges. Screenshot: test-results/screenshots/metrics*.png.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/metrics-view.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let a: WorkerProcess;
let b: WorkerProcess;
let browser: Browser;
let page: Page;
const consoleProblems: string[] = [];


async function runTask(): Promise<void> {
  const id = randomUUID();
  const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id: id, session_id: randomUUID(), workload: "completion", model_ref: testModelName("tiny"), engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Once upon a time", max_tokens: 64, deadline_ms: 30_000 }) });
  expect(res.status).toBe(202);
  await followTaskEvents(orch.url, orch.token, id).done;
}

const chart = (id: string) => page.getByTestId(`chart-${id}`);

describe.skipIf(!hasChromium)("Metrics view in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    orch = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, metrics_history_step_ms: 1000 });
    [a, b, browser] = await Promise.all([
      startWorkerProcess({ nodeId: "node-a", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 }),
      startWorkerProcess({ nodeId: "node-b", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] }),
    ]);
    await until("both nodes online with a ready pool", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.filter((n) => n.status === "Online" && n.pools.some((p) => p.ready)).length === 2;
    }, 30_000);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 }, colorScheme: "light" })).newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error" && !msg.text().includes("frame-ancestors")) consoleProblems.push(msg.text());
    });
    page.on("pageerror", (err) => consoleProblems.push(`pageerror: ${err.message}`));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([a?.kill("SIGKILL"), b?.kill("SIGKILL")]);
    await orch?.close();
  }, 30_000);

  it("after a short load: per-node CPU/RAM history and per-pool tokens/s", async () => {
    // A short load over a few history steps: tasks on both nodes' pools, a few at a time.
    for (let round = 0; round < 4; round++) await Promise.all([runTask(), runTask(), runTask(), runTask()]);
    const history = await until("tokens/s recorded for a pool", async () => {
      const h = MetricsHistoryResponseSchema.parse(await (await orch.api("/v2/metrics/history?range=15m")).json());
      const tokens = h.charts.find((c) => c.id === "tokens");
      return tokens?.series.some((s) => s.name !== "all pools" && s.points.some((p) => p.v > 0)) ? h : undefined;
    });
    expect(history.nodes.map((n) => n.node_id)).toEqual(["node-a", "node-b"]);

    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/metrics";
    });
    await until("per-node CPU lines with history", async () => {
      const cpu = chart("node-cpu");
      return (await cpu.getAttribute("data-series")) === "node-a,node-b" && Number(await cpu.getAttribute("data-points")) >= 3;
    });
    expect(await chart("node-memory").getAttribute("data-series")).toBe("node-a,node-b");
    const poolLines = (await chart("tokens").getAttribute("data-series")) ?? "";
    expect(poolLines.split(",").filter((s) => s !== "all pools").length).toBe(2);
    expect(await chart("first-token").getAttribute("data-series")).toMatch(/p50.*p95/);
    expect(await chart("queue").getAttribute("data-series")).toBe("batch,interactive");
    // Lines are drawn, not just announced.
    expect(await chart("node-cpu").locator("path.recharts-curve").count()).toBe(2);
    expect(await chart("tokens").locator("path.recharts-curve").count()).toBeGreaterThanOrEqual(2);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SHOTS, "metrics.png"), fullPage: true });
  }, 90_000);

  it("switches time ranges", async () => {
    for (const [label, range] of [["1 h", "1h"], ["24 h", "24h"], ["15 min", "15m"]] as const) {
      await page.getByRole("tab", { name: label }).click();
      await until(`range ${range}`, async () => (await page.getByTestId("metrics-charts").getAttribute("data-range")) === range);
      expect(await page.getByRole("tab", { name: label }).getAttribute("aria-selected")).toBe("true");
    }
    // The 1 h range reads the same step-resolution tier: node lines are there too.
    await page.getByRole("tab", { name: "1 h" }).click();
    await until("1 h node lines", async () => (await chart("node-cpu").getAttribute("data-series")) === "node-a,node-b");
    await page.screenshot({ path: join(SHOTS, "metrics-1h.png"), fullPage: true });
  });

  it("drills down into one node's own charts", async () => {
    await page.getByTestId("metrics-nodes").getByRole("link", { name: "node-a" }).click();
    // The range chosen before stays (1 h, 10 s buckets); at 15 min every 1 s step is a point, so three
    // points exist however fast the earlier tests ran.
    await page.getByRole("tab", { name: "15 min" }).click();
    await until("node-a charts", async () => (await page.getByTestId("metrics-charts").getAttribute("data-range")) === "15m" && Number(await chart("node-cpu").getAttribute("data-points")) >= 3);
    expect(await chart("node-cpu").getAttribute("data-series")).toBe("cpu");
    expect(await chart("node-memory").getAttribute("data-series")).toBe("used,total");
    await page.screenshot({ path: join(SHOTS, "metrics-node-a.png"), fullPage: true });
    expect(consoleProblems).toEqual([]);
  });
});

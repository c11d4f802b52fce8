import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HeartbeatRequest } from "../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../src-shared/nodes/node-registration.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";

// The dashboard with 1000 registered nodes: the registry and the dashboard feed only (nodes register
// and heartbeat over the real node API; no engines are needed to exercise scale). The Nodes table must
// stay virtualised — a bounded number of rows in the DOM — and reach the last node by scrolling. It fills
// from the feed's paged snapshot (protocol 2) and follows node deltas into the rendered rows.
const CHROMIUM = "/usr/bin/chromium";
const NODES = 1000;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/dashboard-scale.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let browser: Browser;
const id = (i: number) => `node-${String(i).padStart(4, "0")}`;

describe.skipIf(!hasChromium)("dashboard at 1000 nodes", () => {
  beforeAll(async () => {
    orch = await startTestOrchestrator({ dashboard_dir: join(process.cwd(), "dist/renderer"), node_suspect_ms: 120_000, node_timeout_ms: 240_000, pool_probe_interval_ms: 0 });
    const model = "c".repeat(64);
    for (let start = 0; start < NODES; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, NODES - start) }, async (_, k) => {
          const i = start + k;
          const reg: RegisterNodeRequest = { node_id: id(i), machine_id: `host-${i}`, address: "http://127.0.0.1:9", pools: [`${id(i)}.p0`], capabilities: { gpus: [{ device_id: 0, name: "Test GPU", vram_total_bytes: 24 * 2 ** 30, vram_free_bytes: (i % 24) * 2 ** 30 }], cpu_cores: 16 }, version: "0.1.0" };
          await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(reg) });
          const hb: HeartbeatRequest = { timestamp: new Date().toISOString(), pools: [{ pool_id: `${id(i)}.p0`, ready: true, draining: false, slots_free: 2, slots_total: 4, vram_free_bytes: 0, engine: "llamacpp", models_available: [model] }] };
          await orch.api(`/v2/nodes/${id(i)}/heartbeat`, { method: "POST", body: JSON.stringify(hb) });
        }),
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await orch?.close();
  });

  it("lists 1000 online nodes with a bounded DOM and reaches the last one by scrolling", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/nodes";
    });
    const table = page.getByRole("table").first();
    await expect.poll(async () => (await table.getAttribute("aria-rowcount")) ?? "0", { timeout: 15_000 }).toBe(String(NODES + 1));
    const rendered = await table.getByRole("row").count();
    console.log(`dashboard scale: ${NODES} nodes, ${rendered} rows in the DOM`);
    expect(rendered).toBeLessThan(100);
    await expect.poll(() => page.getByText(id(0), { exact: true }).count()).toBeGreaterThan(0);
    await table.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect.poll(() => page.getByText(id(NODES - 1), { exact: true }).count(), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await table.getByRole("row").count()).toBeLessThan(100);
    await page.screenshot({ path: join(process.cwd(), "test-results/screenshots/nodes-1000.png") });
  }, 60_000);

  it("fills the Nodes view from the paged snapshot and follows node deltas (protocol 2, no resync)", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const feeds: string[] = [];
    const warnings: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/v2/events")) feeds.push(new URL(r.url()).search);
    });
    page.on("console", (m) => {
      if (m.text().includes("resync")) warnings.push(m.text());
    });
    // Log in (the session cookie), then load the Nodes view afresh with the timers below installed.
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/nodes";
    });
    // When the table first shows rows and when it shows all of them (page time), and the longest main-thread task.
    await page.addInitScript(() => {
      const w = window as unknown as { __rows: { first: number | null; all: number | null }; __longTasks: number[] };
      w.__rows = { first: null, all: null };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: "longtask", buffered: true });
      const tick = () => {
        const n = Number(document.querySelector('[role="table"]')?.getAttribute("aria-rowcount") ?? "0");
        if (n > 1 && w.__rows.first === null) w.__rows.first = performance.now();
        if (n > 1000) w.__rows.all = performance.now();
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    feeds.length = 0;
    await page.reload();
    const table = page.getByRole("table").first();
    await expect.poll(async () => (await table.getAttribute("aria-rowcount")) ?? "0", { timeout: 15_000 }).toBe(String(NODES + 1));
    const timing = await page.evaluate(() => {
      const w = window as unknown as { __rows: { first: number; all: number }; __longTasks: number[] };
      return { __rows: w.__rows, __longTasks: w.__longTasks };
    });
    console.log(`Nodes view at ${NODES} nodes: first rows at ${timing.__rows.first.toFixed(0)} ms, all ${NODES} at ${timing.__rows.all.toFixed(0)} ms after navigation start; longest main-thread task ${Math.max(0, ...timing.__longTasks).toFixed(0)} ms`);
    expect(timing.__rows.first).toBeLessThanOrEqual(timing.__rows.all);
    expect(feeds).toEqual(["?protocol=2"]);
    const row = (i: number) => page.getByRole("row").filter({ has: page.getByText(id(i), { exact: true }) });
    await expect.poll(() => row(0).count()).toBe(1);
    expect(await row(0).textContent()).toContain("2 / 4");
    // A heartbeat that takes every slot of node-0000, and a drain of node-0001: both reach the rendered rows as deltas.
    const hb: HeartbeatRequest = { timestamp: new Date().toISOString(), pools: [{ pool_id: `${id(0)}.p0`, ready: true, draining: false, slots_free: 0, slots_total: 4, vram_free_bytes: 0, engine: "llamacpp", models_available: ["c".repeat(64)] }] };
    expect((await orch.api(`/v2/nodes/${id(0)}/heartbeat`, { method: "POST", body: JSON.stringify(hb) })).status).toBe(200);
    expect((await orch.api(`/v2/nodes/${id(1)}/drain`, { method: "POST" })).status).toBe(200);
    await expect.poll(async () => (await row(0).textContent()) ?? "", { timeout: 15_000 }).toContain("4 / 4");
    await expect.poll(() => row(1).getByTestId("node-eligibility").count(), { timeout: 15_000 }).toBe(1);
    expect(await table.getAttribute("aria-rowcount")).toBe(String(NODES + 1));
    expect(warnings).toEqual([]);
    expect(feeds).toEqual(["?protocol=2"]);
  }, 60_000);
});

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../src-shared/dashboard/cluster-events.js";
import { SelftestRunSchema } from "../src-shared/selftest/selftest.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { waitFor as until } from "../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";

// Self-test in Debian's Chromium (Playwright) against a real orchestrator and a real worker serving a
// generated model: the node to hang can be chosen only after the consent box is ticked, the run shows
// live progress and then the report table, and "Export JSON" downloads the run. A run without
// consent leaves the node's history untouched.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/selftest.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let worker: WorkerProcess;
let browser: Browser;

const eventsOf = async (nodeId: string) => NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${nodeId}`)).json()).events.length;

describe.skipIf(!hasChromium)("Self-test view in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    orch = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, pool_probe_interval_ms: 10_000 });
    worker = await startWorkerProcess({ nodeId: "e2e-st", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2, startTimeoutMs: 60_000, env: { POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "1" } });
    await until("the worker's pool ready", async () => ((await orch.api("/ready")).status === 200 ? true : null), 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.kill("SIGKILL");
    await orch?.close();
  });

  it("runs without consent (no node touched), then with consent for one node, and exports the report", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/selftest";
    });
    await page.getByText("No self-test yet").waitFor();
    await page.getByLabel("Overhead samples").fill("4");
    await page.getByLabel("Fairness tasks").fill("2");
    // The node picker is off until consent is given.
    expect(await page.getByLabel("Node to hang").isDisabled()).toBe(true);

    const before = await eventsOf("e2e-st");
    await page.getByRole("button", { name: "Start self-test" }).click();
    const run = page.getByTestId("selftest-run");
    await run.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 60_000 });
    const report = page.getByTestId("selftest-report");
    await expect.poll(() => report.textContent()).toContain("added p50 / p99");
    expect(await report.textContent()).toContain("no consent");
    expect(await eventsOf("e2e-st")).toBe(before);

    // With consent: Start stays disabled until a node is chosen.
    await page.getByTestId("selftest-consent").check();
    expect(await page.getByRole("button", { name: "Start self-test" }).isDisabled()).toBe(true);
    await page.getByLabel("Node to hang").selectOption("e2e-st");
    await page.getByLabel("Hang for (ms)").fill("3500");
    await page.getByRole("button", { name: "Start self-test" }).click();
    await page.getByTestId("selftest-progress").waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "selftest-running.png") });
    await run.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 90_000 });
    await expect.poll(() => report.textContent()).toContain("unschedulable after");
    expect(await report.textContent()).toMatch(/unschedulable after\s*[\d.]+ ms \(Suspect\)/);
    await page.screenshot({ path: join(SHOTS, "selftest-report.png"), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
    const path = await download.path();
    const exported = SelftestRunSchema.parse(JSON.parse(readFileSync(path, "utf8")));
    expect(download.suggestedFilename()).toBe(`${exported.id}.json`);
    expect(exported.request.stop_node).toBe("e2e-st");
    expect(exported.report?.detection.status).toBe("ok");
    expect(exported.report?.overhead.status).toBe("ok");
    expect(exported.report?.fairness.status).toBe("ok");
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});

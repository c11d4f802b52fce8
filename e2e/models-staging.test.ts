import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelAliasListSchema } from "../src-shared/models/model-alias.js";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { StagingJobListResponseSchema } from "../src-shared/staging/staging-job.js";
import { testModelName, testModelPath } from "../test-support/models.js";
import { startLocalHub, type LocalHub } from "../test-support/local-hub.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";
import { waitFor as until } from "../test-support/wait-for.js";

// The Models view in Debian's Chromium against a real orchestrator and two real workers: node-b alone
// holds tiny-b (a single point of failure); the operator stages it to node-a from the Models view, watches
// the progress bar go to ready, then chats with it pinned to node-a in the Playground.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const TINY_B = testModelName("tiny-b");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/models-staging.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let a: WorkerProcess;
let b: WorkerProcess;
let browser: Browser;
let hub: LocalHub;
let page: Page;
const consoleProblems: string[] = [];


const textOf = async (locator: Locator): Promise<string> => ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? "") : "");

async function shot(name: string): Promise<void> {
  const dismiss = page.getByRole("button", { name: "Dismiss" });
  while ((await dismiss.count()) > 0) await dismiss.first().click({ timeout: 500 }).catch(() => undefined);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

describe.skipIf(!hasChromium)("Models view: stage a model to a second node, then chat with it there", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    hub = await startLocalHub({ "/acme/tiny-GGUF/resolve/main/tiny-chatml.gguf": testModelPath("tiny-chatml") });
    // Roomy liveness: nothing here waits for a node to fall, and under a loaded CI box a 1 s suspect
    // window turned node-b Suspect long enough for its row to read "No live copy".
    orch = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, node_suspect_ms: 5000, node_timeout_ms: 15_000, hub_base_url: hub.url });
    [a, b, browser] = await Promise.all([
      startWorkerProcess({ nodeId: "node-a", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 1 }),
      startWorkerProcess({ nodeId: "node-b", models: ["tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1 }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] }),
    ]);
    await until("both nodes online with ready pools", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      const ready = (id: string, pools: number) => nodes.some((n) => n.node_id === id && n.status === "Online" && n.pools.filter((p) => p.ready).length >= pools);
      return ready("node-a", 1) && ready("node-b", 2);
    }, 30_000);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: "light" })).newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error" && !msg.text().includes("frame-ancestors")) consoleProblems.push(msg.text());
    });
    page.on("pageerror", (err) => consoleProblems.push(`pageerror: ${err.message}`));
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([a?.kill("SIGKILL"), b?.kill("SIGKILL")]);
    await orch?.close();
    await hub?.close();
  }, 30_000);

  it("flags the single-node model and explains its id", async () => {
    await page.evaluate(() => (window.location.hash = "#/models"));
    const row = page.locator(`[data-testid="models-matrix"] tr[data-model="${TINY_B}"]`);
    await row.waitFor();
    expect(await textOf(row)).toContain("Single node");
    expect(await row.locator('td[data-node="node-a"]').getAttribute("data-state")).toBe("absent");
    expect(await row.locator('td[data-node="node-b"]').getAttribute("data-state")).toBe("verified");
    expect(await row.getByRole("button", { name: `Replicate ${TINY_B}` }).count()).toBe(1);
    await row.locator("th button").click();
    await until("id rule shown", async () => (await textOf(page.getByTestId("model-id-rule"))).includes("general.name"));
  });

  it("adds an alias to the selected model (a double click adds it once), shows it in its row, and removes it", async () => {
    const details = page.getByTestId("model-aliases");
    const input = page.getByLabel(`New alias for ${TINY_B}`);
    // Checked before any request, with the server's own rule.
    await input.fill("team/chat");
    await until("the name's problem shown", async () => (await textOf(details)).includes("may contain only"));
    expect(await details.getByRole("button", { name: "Add alias" }).isDisabled()).toBe(true);
    await input.fill("team-chat:latest");
    await details.getByRole("button", { name: "Add alias" }).dblclick();
    await until("the alias chip", async () => (await details.locator('[data-alias="team-chat"]').count()) === 1);
    const row = page.locator(`[data-testid="models-matrix"] tr[data-model="${TINY_B}"]`);
    await until("the row lists it", async () => (await textOf(row.getByTestId("row-aliases"))).includes("team-chat"));
    const listed = ModelAliasListSchema.parse(await (await orch.api("/v2/catalog/aliases")).json()).aliases;
    expect(listed.map((a) => [a.name, a.target_id])).toEqual([["team-chat", TINY_B]]);
    await shot("models-alias-added");
    await details.getByRole("button", { name: "Remove alias team-chat" }).click();
    await until("the chip gone", async () => (await details.locator("[data-alias]").count()) === 0);
    expect(ModelAliasListSchema.parse(await (await orch.api("/v2/catalog/aliases")).json()).aliases).toEqual([]);
    expect(consoleProblems).toEqual([]);
  });

  it("stages it to node-a from the Stage dialog, then reloads node-a's pool with it; the progress bar shows phase, rate and ETA, then ready", async () => {
    const nodesNow = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    const poolA = nodesNow.find((n) => n.node_id === "node-a")?.pools[0]?.pool_id as string;
    expect(poolA).toBeTruthy();
    const row = page.locator(`tr[data-model="${TINY_B}"]`);
    await row.getByRole("button", { name: `Stage ${TINY_B} to other nodes` }).click();
    const dialog = page.getByRole("dialog");
    const reloadSelect = dialog.getByLabel("Then reload pool");
    // No target picked yet: no pool to offer.
    expect(await reloadSelect.isDisabled()).toBe(true);
    await dialog.getByLabel("node-a").check();
    await until("node-a's pool offered", async () => (await reloadSelect.locator(`option[value="${poolA}"]`).count()) === 1);
    await reloadSelect.selectOption(poolA);
    // 0.25 MB/s: the 0.77 MB model takes ~3 s, long enough to watch.
    await dialog.getByLabel("Bandwidth cap in MB/s").fill("0.25");
    await dialog.getByRole("button", { name: "Stage" }).click();
    const cell = row.locator('td[data-node="node-a"]');
    await until("a live progress bar with a rate", async () => (await cell.getAttribute("data-state")) === "staging" && /transferring/.test(await textOf(cell)) && /\/s · ETA/.test(await textOf(cell)), 10_000);
    expect(await cell.getByRole("meter").count()).toBe(1);
    await shot("models-staging-progress");
    await until("verified on node-a", async () => (await cell.getAttribute("data-state")) === "verified", 20_000);
    expect(await textOf(row)).toContain("Replicated");
    await shot("models-staged");
    // The node reports the verified copy in a heartbeat; the job notices on its next progress poll.
    const jobs = await until("the staging job completed", async () => {
      const list = StagingJobListResponseSchema.parse(await (await orch.api("/v2/catalog/jobs")).json()).jobs;
      return list[0]?.state === "completed" ? list : undefined;
    }, 5000);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: "completed", target_node_id: "node-a", source_node_id: "node-b", bandwidth_limit_bytes_per_s: 250_000, then: { reload_pool: poolA } });
    expect(jobs[0]?.bytes_transferred).toBe(jobs[0]?.size_bytes);
    // The follow-up ran: node-a's pool (which served tiny) now serves the staged model.
    await until(`${poolA} serves tiny-b`, async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.find((n) => n.node_id === "node-a")?.pools.some((p) => p.pool_id === poolA && p.ready && p.model?.name === TINY_B);
    }, 30_000);
  });

  it("chats with the staged model pinned to node-a in the Playground", async () => {
    await until("node-a serves tiny-b", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.find((n) => n.node_id === "node-a")?.pools.some((p) => p.ready && p.model?.name === TINY_B);
    }, 20_000);
    await page.evaluate(() => (window.location.hash = "#/playground"));
    const select = page.locator("#pg-model");
    await until("tiny-b listed", async () => (await select.locator(`option[value="${TINY_B}"]`).count()) === 1);
    await select.selectOption(TINY_B);
    await until("node-a offered", async () => (await page.locator('#pg-node option[value="node-a"]').count()) === 1);
    await page.locator("#pg-node").selectOption("node-a");
    await page.locator("#pg-max").fill("24");
    await page.getByRole("textbox", { name: "Message" }).fill("Hello from node-a?");
    await page.getByRole("button", { name: "Send" }).click();
    // On a timeout the error says where the run stood (waiting, failed and why) and what node-a reported.
    await until("the reply finished", async () => {
      const state = await textOf(page.getByTestId("pg-state"));
      if (state.includes("done")) return true;
      const nodeA = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === "node-a");
      throw new Error(`status "${state}"; transcript "${(await textOf(page.getByTestId("pg-transcript"))).slice(-300)}"; node-a ${nodeA?.status} ${JSON.stringify(nodeA?.pools.map((p) => [p.pool_id, p.ready, p.model?.name, p.slots_free]))}; node-a's last log lines: ${a.lines.filter((l) => /"level":(40|50)|engine|task/.test(l)).slice(-8).join(" | ")}`);
    }, 20_000);
    expect((await textOf(page.locator('[data-testid="pg-transcript"] [data-role="assistant"]').last())).length).toBeGreaterThan(0);
    await until("placed on node-a", async () => (await textOf(page.getByTestId("pg-node"))).includes("node-a"));
    await shot("models-playground-node-a");
    expect(consoleProblems).toEqual([]);
  });

  it("adds a model by URL (a local hub), stages it from the orchestrator's store to node-b, then chats with it there", async () => {
    await page.evaluate(() => (window.location.hash = "#/models"));
    // A plain URL (hf:// refs resolve to the same: hub-pull.int.test.ts); the hub answers it with a redirect.
    await page.getByLabel("Hub reference or URL").fill(`${hub.url}/acme/tiny-GGUF/resolve/main/tiny-chatml.gguf`);
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    const name = testModelName("tiny-chatml");
    const row = page.locator(`[data-testid="models-matrix"] tr[data-model="${name}"]`);
    await until("the pulled model is a row (store only)", async () => (await row.count()) === 1 && (await textOf(row)).includes("orchestrator's store"), 20_000);
    await shot("models-pulled-into-store");
    await row.getByRole("button", { name: `Stage ${name} to other nodes` }).click();
    await page.getByRole("dialog").getByLabel("node-b").check();
    await page.getByRole("dialog").getByRole("button", { name: "Stage" }).click();
    await until("verified on node-b", async () => (await row.locator('td[data-node="node-b"]').getAttribute("data-state")) === "verified", 20_000);
    // The node reports the verified copy in a heartbeat; the job notices on its next progress poll.
    const jobs = await until("the store-sourced job completed", async () => {
      const list = StagingJobListResponseSchema.parse(await (await orch.api("/v2/catalog/jobs")).json()).jobs;
      return list.find((j) => j.target_node_id === "node-b")?.state === "completed" ? list : undefined;
    }, 5000);
    expect(jobs.find((j) => j.target_node_id === "node-b")).toMatchObject({ state: "completed", source_node_id: "control-plane" });
    await shot("models-staged-from-store");

    // node-b runs auto pools: one starts for the staged file. Chat with it there.
    await until("node-b serves the pulled model", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.find((n) => n.node_id === "node-b")?.pools.some((p) => p.ready && p.model?.name === name);
    }, 30_000);
    await page.evaluate(() => (window.location.hash = "#/playground"));
    const select = page.locator("#pg-model");
    await until("the pulled model listed", async () => (await select.locator(`option[value="${name}"]`).count()) === 1);
    await select.selectOption(name);
    await until("node-b offered", async () => (await page.locator('#pg-node option[value="node-b"]').count()) === 1);
    await page.locator("#pg-node").selectOption("node-b");
    await page.locator("#pg-max").fill("16");
    await page.getByRole("textbox", { name: "Message" }).fill("Hello from node-b?");
    await page.getByRole("button", { name: "Send" }).click();
    // 16 tokens; the generous bound is for a loaded box (timed out at 20 s once at load 15, the pool just started).
    await until("the reply finished", async () => (await textOf(page.getByTestId("pg-state"))).includes("done"), 45_000);
    expect((await textOf(page.locator('[data-testid="pg-transcript"] [data-role="assistant"]').last())).length).toBeGreaterThan(0);
    await until("placed on node-b", async () => (await textOf(page.getByTestId("pg-node"))).includes("node-b"));
    await shot("models-playground-pulled-node-b");
    expect(consoleProblems).toEqual([]);
  }, 120_000);
});

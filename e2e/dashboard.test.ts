import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import type { TaskRequestV2Input } from "../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../src-shared/tasks/task-status.js";
import { testModelName } from "../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";
import { waitFor as until } from "../test-support/wait-for.js";
import { taskRequest } from "../test-support/fixtures.js";

// The operator dashboard in Debian's Chromium (Playwright), against the real orchestrator serving the
// built dist/renderer, with two real worker agents running llama.cpp on generated models:
// node-a holds medium + tiny, node-b holds medium + tiny + tiny-b (tiny-b only on B).

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const MEDIUM = testModelName("medium");
const TINY_B = testModelName("tiny-b");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/dashboard.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let a: WorkerProcess;
let b: WorkerProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleProblems: string[] = [];
const openTasks = new Set<string>();


const textOf = async (locator: Locator): Promise<string> => ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? "") : "");

async function shot(name: string): Promise<void> {
  // Toasts are transient; dismiss them so they do not cover what the screenshot is about.
  // Always the first one: dismissing one renumbers the rest (nth(1) of two no longer exists after a click).
  const dismiss = page.getByRole("button", { name: "Dismiss" });
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && (await dismiss.count()) > 0) await dismiss.first().click({ timeout: 500 }).catch(() => undefined);
  // Let the last batched frame paint before capturing.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function go(hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

function task(model: string, over: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input {
  return taskRequest(model, { ctx: 4096, prompt: "Once upon a time", max_tokens: 3800, deadline_ms: 120_000, temperature: 0.8, ...over });
}

async function submit(body: TaskRequestV2Input): Promise<string> {
  const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  openTasks.add(body.task_id as string);
  return body.task_id as string;
}

async function taskState(id: string): Promise<string> {
  return TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json()).state;
}

async function withBearer(token: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, ...(body.code !== undefined ? { code: body.code } : {}) };
}

describe.skipIf(!hasChromium)("operator dashboard in Chromium against a real cluster", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    // Suspect after 2 s of silence (two missed 1 s heartbeats), not one: on a loaded CI box a single late
    // heartbeat must not make a healthy node unschedulable; a killed node is still Offline within 3 s.
    orch = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, node_suspect_ms: 2000, node_timeout_ms: 3000, pool_probe_interval_ms: 1000 });
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    [a, b, browser] = await Promise.all([
      startWorkerProcess({ nodeId: "node-a", models: ["medium", "tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 1 }),
      startWorkerProcess({ nodeId: "node-b", models: ["medium", "tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1 }),
      launching,
    ]);
    await until("both nodes online with ready pools", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      const ready = (id: string, pools: number) => nodes.some((n) => n.node_id === id && n.status === "Online" && n.pools.filter((p) => p.ready).length >= pools);
      return ready("node-a", 2) && ready("node-b", 3);
    }, 30_000);
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: "light" });
    page = await context.newPage();
    page.on("console", (msg) => {
      const text = msg.text();
      // A <meta> CSP cannot carry frame-ancestors (Electron's loader needs the meta); Chromium says so.
      if (msg.type() === "error" && !text.includes("frame-ancestors")) consoleProblems.push(text);
    });
    page.on("pageerror", (err) => consoleProblems.push(`pageerror: ${err.message}`));
  }, 60_000);

  afterAll(async () => {
    for (const id of openTasks) await orch?.api(`/v2/tasks/${id}/cancel`, { method: "POST" }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all([a?.kill("SIGKILL"), b?.kill("SIGKILL")]);
    await orch?.close();
  }, 30_000);

  it("logs in with the one-time code; the Overview shows both nodes online", async () => {
    const login = await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    expect(login?.url()).toBe(`${orch.url}/`);
    const overview = page.getByTestId("overview-nodes");
    await until("both nodes online on the Overview", async () => {
      const [na, nb] = await Promise.all([textOf(overview.locator('[data-node-id="node-a"]')), textOf(overview.locator('[data-node-id="node-b"]'))]);
      return na.includes("Online") && nb.includes("Online");
    });
    expect(await textOf(page.getByTestId("stat-nodes"))).toContain("2/ 2");
    expect(await textOf(page.getByTestId("cluster-health"))).toBe("Healthy");
    await shot("overview");
  });

  it("Models: the matrix shows which node holds which model, single-node models flagged", async () => {
    await go("#/models");
    const row = page.locator(`[data-testid="models-matrix"] tr[data-model="${TINY_B}"]`);
    await row.waitFor();
    expect(await row.locator('td[data-node="node-b"]').getAttribute("data-presence")).toBe("present");
    expect(await row.locator('td[data-node="node-a"]').getAttribute("data-presence")).toBe("absent");
    expect(await textOf(row)).toContain("Single node");
    const medium = page.locator(`tr[data-model="${MEDIUM}"]`);
    expect(await medium.locator("td[data-presence=present]").count()).toBe(2);
    expect(await textOf(medium)).toContain("Replicated");
    // Staging has arrived (e2e/models-staging.test.ts drives it): the button is live now.
    expect(await row.getByRole("button", { name: /Stage/ }).isDisabled()).toBe(false);
    await row.getByRole("button", { name: TINY_B, exact: true }).click();
    expect(await textOf(page.getByTestId("model-details"))).toContain("curl -N");
    await shot("models");
  });

  it("Pools: every pool with its model, slots and state", async () => {
    await go("#/pools");
    const table = page.getByTestId("pools-table");
    await until("5 pool rows", async () => (await table.locator("[data-row-key]").count()) === 5);
    await shot("pools");
  });

  it("Pools: drain is desired state the worker converges to; resume brings the pool back", async () => {
    await go("#/pools");
    const table = page.getByTestId("pools-table");
    const row = table.locator("[data-row-key]", { hasText: TINY_B });
    const desired = row.getByTestId("pool-desired");
    const poolId = await until("tiny-b pool id", async () => (await textOf(row.locator("span").first())).trim());
    await row.getByRole("button", { name: `Drain ${poolId}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Drain pool" }).click();
    await until("drained, as reported by the worker", async () => (await textOf(row)).includes("Drained") && (await desired.count()) === 0, 15_000);
    await shot("pools-drained");
    await row.getByRole("button", { name: `Resume ${poolId}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Resume pool" }).click();
    await until("pool ready again, nothing left requested", async () => (await desired.count()) === 0 && (await textOf(row)).includes("Ready"), 20_000);
  });

  it("Playground: a chat streams tokens and Stop cancels the task", async () => {
    await go("#/playground");
    const select = page.locator("#pg-model");
    await until("medium model listed", async () => (await select.locator(`option[value="${MEDIUM}"]`).count()) === 1);
    await select.selectOption(MEDIUM);
    await page.locator("#pg-max").fill("3500");
    await page.getByRole("textbox", { name: "Message" }).fill("Tell me a long story about a cluster of llamas.");
    await page.getByRole("button", { name: "Send" }).click();
    const reply = page.locator('[data-testid="pg-transcript"] [data-role="assistant"]').last();
    await until("tokens streaming in", async () => (await textOf(reply)).length > 40, 15_000);
    await page.getByRole("button", { name: "Stop" }).click();
    await until("stopped state", async () => (await textOf(page.getByTestId("pg-state"))).includes("stopped"));
    const taskLink = reply.locator("a");
    const taskId = await until("task id from the chunk ids", async () => {
      const hrefValue = await taskLink.getAttribute("href");
      return hrefValue?.split("/").pop() ?? null;
    });
    const full = await until("the task's full id", async () => {
      const list = (await (await orch.api("/v2/tasks")).json()) as { tasks: { task_id: string }[] };
      return list.tasks.find((t) => t.task_id.startsWith(taskId.slice(0, 8)))?.task_id;
    });
    openTasks.add(full);
    await until("task canceled on the orchestrator", async () => (await taskState(full)) === "canceled", 5000);
    const textAfterStop = await textOf(reply);
    await new Promise((r) => setTimeout(r, 600));
    expect(await textOf(reply)).toBe(textAfterStop);
    expect(await textOf(page.getByTestId("pg-node"))).toMatch(/node-[ab]/);
    expect(await textOf(page.getByTestId("pg-first-token"))).toMatch(/\d/);
    await shot("playground");
  });

  it("Queue: the board shows a queued task live, explains placement, and cancels it", async () => {
    await go("#/queue");
    // One medium slot per node: two long tasks run, four more queue, the batch task waits last.
    const running = [await submit(task(MEDIUM)), await submit(task(MEDIUM))];
    await until("both fillers running", async () => (await Promise.all(running.map(taskState))).every((s) => s === "running"), 15_000);
    for (let i = 0; i < 4; i++) await submit(task(MEDIUM));
    const target = await submit(task(MEDIUM, { priority: "batch", max_tokens: 8 }));
    const row = page.locator(`[data-testid="queue-board"] [data-row-key="${target}"]`);
    await until("queued target on the board", async () => (await textOf(row)).includes("Queued"));
    expect(await textOf(row)).toContain("batch");
    await shot("queue");

    await page.locator(`[data-testid="queue-board"] [data-row-key="${running[0]}"]`).getByRole("button", { name: /Why was task/ }).click();
    const placement = page.getByTestId("placement");
    await placement.waitFor();
    expect(await textOf(placement)).toMatch(/Placed on node-[ab]/);
    await shot("queue-placement");
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

    await row.getByRole("button", { name: /Cancel task/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel task" }).click();
    await until("target gone from the board", async () => (await row.count()) === 0);
    expect(await taskState(target)).toBe("canceled");

    // The Overview under load: rates and queue depth move live.
    await go("#/overview");
    await until("tokens/s above zero", async () => Number(await textOf(page.getByTestId("tokens-per-second"))) > 0, 5000);
    await shot("overview-busy");
    for (const id of openTasks) await orch.api(`/v2/tasks/${id}/cancel`, { method: "POST" });
  });

  it("Settings: validates, rotates a key with two live keys, and the old key fails after revoke", async () => {
    await go("#/settings");
    const capacity = page.locator("#set-admission_capacity");
    await capacity.fill("0");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#set-admission_capacity-error").waitFor();
    await capacity.fill("64");
    await page.getByRole("button", { name: "Save changes" }).click();
    await until("settings saved", async () => ((await (await orch.api("/v2/settings")).json()) as { admission_capacity: number }).admission_capacity === 64);

    await page.getByRole("textbox", { name: "New key name" }).fill("e2e-client");
    // A read-only key: it may list nodes (the checks below), and the table shows its scope.
    await page.getByRole("combobox", { name: "New key scope" }).selectOption("read");
    await page.getByRole("button", { name: "Create key" }).click();
    await until("key listed with its scope", async () => (await textOf(page.locator('[data-key-name="e2e-client"] [data-testid="key-scopes"]'))) === "read" || null);
    const secret = page.getByTestId("secret-value");
    const oldKey = await until("new key shown once", async () => (await textOf(secret)) || null);
    expect(await withBearer(oldKey)).toEqual({ status: 200 });
    await page.getByRole("button", { name: "I have stored it" }).click();

    // Limits: a bad value is refused in the dialog, a good one is saved and shown, and rotation keeps it.
    const limitsOf = (name: string) => page.locator(`[data-key-name="${name}"] [data-testid="key-limits"]`);
    expect(await textOf(limitsOf("e2e-client"))).toBe("none");
    await page.getByRole("button", { name: "Limits of e2e-client" }).click();
    await page.locator("#limit-requests_per_minute").fill("0");
    await page.getByRole("dialog").getByRole("button", { name: "Save limits" }).click();
    await page.getByRole("dialog").getByRole("alert").waitFor();
    await page.locator("#limit-requests_per_minute").fill("600");
    await page.getByRole("dialog").getByRole("button", { name: "Save limits" }).click();
    await until("limits saved and shown", async () => (await textOf(limitsOf("e2e-client"))) === "600 req/min" || null);

    await page.getByRole("button", { name: "Rotate e2e-client" }).click();
    const newKey = await until("rotated key shown", async () => {
      const value = await textOf(secret);
      return value !== "" && value !== oldKey ? value : null;
    });
    expect(await withBearer(oldKey)).toEqual({ status: 200 });
    expect(await withBearer(newKey)).toEqual({ status: 200 });
    await page.getByTestId("rotation").waitFor();
    await until("the rotated key has the same limits", async () => (await textOf(page.locator('[data-key-name^="e2e-client (rotated"] [data-testid="key-limits"]'))) === "600 req/min" || null);
    await shot("settings");

    await page.getByTestId("rotation").getByRole("button", { name: "Revoke old key" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await until("old key revoked", async () => (await withBearer(oldKey)).status === 401);
    expect(await withBearer(oldKey)).toEqual({ status: 401, code: "BAD_TOKEN" });
    expect(await withBearer(newKey)).toEqual({ status: 200 });
  });

  it("Nodes: a SIGKILLed worker turns Offline live, without a reload", async () => {
    await go("#/nodes");
    const status = (id: string) => page.locator(`[data-testid="nodes-table"] [data-row-key="${id}"] [data-testid="node-status"]`);
    await until("both online", async () => (await textOf(status("node-a"))) === "Online" && (await textOf(status("node-b"))) === "Online");
    // Drain is eligibility, shown beside the status: the node stays Online.
    const eligibility = page.locator('[data-testid="nodes-table"] [data-row-key="node-b"] [data-testid="node-eligibility"]');
    await page.getByRole("button", { name: "Drain node-b" }).click({ timeout: 5000 });
    await page.getByRole("dialog").getByRole("button", { name: "Drain node" }).click({ timeout: 5000 });
    await until("node-b drained and still Online", async () => (await textOf(eligibility)) === "Drained" && (await textOf(status("node-b"))) === "Online");
    await page.getByRole("button", { name: "Undrain node-b" }).click({ timeout: 5000 });
    await page.getByRole("dialog").getByRole("button", { name: "Undrain node" }).click({ timeout: 5000 });
    await until("node-b eligible again", async () => (await eligibility.count()) === 0);
    await shot("nodes");
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    const killedAt = Date.now();
    process.kill(a.pid, "SIGKILL");
    await until("node-a offline in the table", async () => (await textOf(status("node-a"))) === "Offline", 8000);
    const seconds = (Date.now() - killedAt) / 1000;
    expect(seconds).toBeLessThan(8);
    expect(navigations.filter((u) => !u.includes("#"))).toEqual([]);
    await until("node-b still Online", async () => (await textOf(status("node-b"))) === "Online", 5000);
    await shot("nodes-offline");

    await page.locator('[data-row-key="node-a"] a').first().click();
    await until("offline event in the node's history", async () => (await textOf(page.getByTestId("node-events"))).includes("offline"));
    await shot("node-detail");
  });

  it("Logs: virtualised, filterable, shows the cluster's log; every view renders in dark mode too", async () => {
    await go("#/logs");
    await until("log lines", async () => (await page.getByTestId("log-list").locator("[title]").count()) > 5);
    await page.getByRole("searchbox", { name: "Filter logs" }).fill("offline");
    await until("filtered lines", async () => /^\d+ of/.test(await textOf(page.getByTestId("log-count"))));
    await page.getByRole("searchbox", { name: "Filter logs" }).fill("");
    await shot("logs");

    await page.emulateMedia({ colorScheme: "dark" });
    for (const view of ["overview", "nodes", "pools", "models", "queue", "playground", "settings", "logs"]) {
      await go(`#/${view}`);
      await page.waitForTimeout(150);
      await shot(`${view}-dark`);
    }
    expect(consoleProblems).toEqual([]);
  });

  it("without a session shows the login screen; an empty cluster explains how to add a worker", async () => {
    const empty = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR });
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: "light" });
    try {
      const p = await fresh.newPage();
      await p.goto(`${empty.url}/`);
      await p.getByRole("heading", { name: "Log in to this orchestrator" }).waitFor();
      await p.screenshot({ path: join(SHOTS, "login.png") });

      await p.goto(`${empty.url}/login?code=${empty.orchestrator.issueLoginCode()}`);
      const onboarding = p.getByTestId("add-worker");
      await onboarding.waitFor();
      // The install command comes first: the tarball npm pack writes for this version.
      await until("worker install command", async () => ((await textOf(onboarding.locator(`pre[aria-label="Worker install command"]`))) === "npm install -g ./llama-orch-worker-0.1.0.tgz" ? true : null));
      await p.getByRole("button", { name: "Create join token" }).click();
      const command = await until("join command with a token", async () => {
        const text = await textOf(onboarding.locator(`pre[aria-label^="Worker join command"]`));
        return text.includes("<join token>") ? null : text;
      });
      expect(command).toContain(`--join '${empty.url}#llj_`);
      const token = /#(llj_[0-9a-f]{64})'/.exec(command)?.[1] ?? "";
      // The join token is spent once for the node's own worker key, which cannot read the cluster.
      const res = await fetch(`${empty.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "joined" }) });
      expect(res.status).toBe(201);
      const key = ((await res.json()) as { key: string }).key;
      expect((await fetch(`${empty.url}/v2/nodes`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
      await p.screenshot({ path: join(SHOTS, "overview-empty.png") });
    } finally {
      await fresh.close();
      await empty.close();
    }
  });
});

import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { loadOrchestratorConfig } from "../src-main/orchestrator/index.js";
import { testModelName } from "../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { waitFor } from "../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../test-support/worker-process.js";

// A browser app on another origin calls the API: Chromium enforces CORS, so what passes here is what
// a real web app (listed in ORCHD_ALLOWED_ORIGINS) can do, and an unlisted origin is blocked.

const CHROMIUM = "/usr/bin/chromium";
const TINY = testModelName("tiny");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/cors.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/** A static server for one blank page: the web app's origin. */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface BrowserResult {
  ok: boolean;
  status?: number;
  body?: string;
  taskId?: string | null;
  error?: string;
}

let orch: TestOrchestrator;
let worker: WorkerProcess;
let browser: Browser;
let listed: { server: Server; origin: string };
let unlisted: { server: Server; origin: string };

/** Runs fetch in a page of `origin` against the orchestrator; a CORS refusal shows as `ok: false` with the error. */
async function fetchFrom(origin: string, path: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<BrowserResult> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, init }) => {
        try {
          const res = await fetch(url, init);
          const reader = res.body?.getReader();
          let body = "";
          const decoder = new TextDecoder();
          for (;;) {
            const chunk = await reader?.read();
            if (chunk === undefined || chunk.done) break;
            body += decoder.decode(chunk.value, { stream: true });
          }
          return { ok: true, status: res.status, body, taskId: res.headers.get("x-task-id") };
        } catch (err) {
          return { ok: false, error: String(err) };
        }
      },
      { url: `${orch.url}${path}`, init },
    );
  } finally {
    await page.close();
  }
}

const chat = (token: string) => ({
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4, stream: true }),
});

describe.skipIf(!hasChromium)("CORS in Chromium: a web app on another origin", () => {
  beforeAll(async () => {
    [listed, unlisted] = await Promise.all([startPageServer(), startPageServer()]);
    orch = await startTestOrchestrator({ allowed_origins: [listed.origin] });
    [worker, browser] = await Promise.all([
      startWorkerProcess({ nodeId: "cors-node", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 1 }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] }),
    ]);
    await waitFor("a ready pool", async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.some((n) => n.pools.some((p) => p.ready)), 30_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await worker?.kill();
    await orch?.close();
    for (const s of [listed, unlisted]) s?.server.close();
  }, 30_000);

  it("a listed origin streams a chat completion with a bearer token and reads X-Task-Id", async () => {
    const result = await fetchFrom(listed.origin, "/v1/chat/completions", chat(orch.token));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.body).toContain("data: [DONE]");
    expect(result.body).toContain("chat.completion.chunk");
    expect(result.taskId).toBeTruthy();
  });

  it("a listed origin reads error responses too (401 without a token)", async () => {
    const result = await fetchFrom(listed.origin, "/v1/chat/completions", { ...chat(orch.token), headers: { "content-type": "application/json" } });
    expect(result.ok).toBe(true);
    expect(result.status).toBe(401);
  });

  it("an unlisted origin is blocked by the browser; the server refuses it with 403 and no CORS headers", async () => {
    const result = await fetchFrom(unlisted.origin, "/v1/chat/completions", chat(orch.token));
    expect(result.ok).toBe(false);
    expect(result.error).toContain("Failed to fetch");
    const preflight = await fetch(`${orch.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: unlisted.origin, "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the listed origin's preflight is a 204 without credentials", async () => {
    const preflight = await fetch(`${orch.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: listed.origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(listed.origin);
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    expect(preflight.headers.get("vary")).toContain("Origin");
  });

  it("the dashboard cookie does not authorise a cross-origin request", async () => {
    const login = await fetch(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`, { redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const sameOrigin = await fetch(`${orch.url}/v2/nodes`, { headers: { cookie } });
    expect(sameOrigin.status).toBe(200);
    const crossOrigin = await fetch(`${orch.url}/v2/nodes`, { headers: { cookie, origin: listed.origin } });
    expect(crossOrigin.status).toBe(401);
    expect(crossOrigin.headers.get("access-control-allow-origin")).toBe(listed.origin);
  });
});

describe.skipIf(!hasChromium)("CORS in Chromium: local web apps with ORCHD_CORS_ALLOW_LOCALHOST", () => {
  let page: { server: Server; origin: string };
  let local: TestOrchestrator;
  let off: TestOrchestrator;
  // The same page server, reached by its local name: a dev server at http://localhost:<port>.
  const localOrigin = () => page.origin.replace("127.0.0.1", "localhost");

  beforeAll(async () => {
    page = await startPageServer();
    [local, off, browser] = await Promise.all([
      startTestOrchestrator({ cors_allow_localhost: true }),
      startTestOrchestrator(),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await local?.close();
    await off?.close();
    page?.server.close();
  }, 30_000);

  /** GET /v1/models from a page of `origin` against `target` with its bearer token. */
  async function listModelsFrom(origin: string, target: TestOrchestrator): Promise<BrowserResult> {
    const tab = await browser.newPage();
    try {
      await tab.goto(`${origin}/`);
      return await tab.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
            return { ok: true, status: res.status, body: await res.text() };
          } catch (err) {
            return { ok: false, error: String(err) };
          }
        },
        { url: `${target.url}/v1/models`, token: target.token },
      );
    } finally {
      await tab.close();
    }
  }

  it("switched on: pages on http://localhost:* and http://127.0.0.1:* call the API with a bearer token", async () => {
    for (const origin of [localOrigin(), page.origin]) {
      const result = await listModelsFrom(origin, local);
      expect(result.error, origin).toBeUndefined();
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body ?? "{}")).toMatchObject({ object: "list" });
    }
    const preflight = await fetch(`${local.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: "http://[::1]:5173", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://[::1]:5173");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("switched on: other origins stay refused, and the dashboard cookie does not authorise a local app", async () => {
    const foreign = await fetch(`${local.url}/v1/models`, { headers: { origin: "http://evil.example", authorization: `Bearer ${local.token}` } });
    expect(foreign.status).toBe(403);
    const login = await fetch(`${local.url}/login?code=${local.orchestrator.issueLoginCode()}`, { redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const crossOrigin = await fetch(`${local.url}/v2/nodes`, { headers: { cookie, origin: localOrigin() } });
    expect(crossOrigin.status).toBe(401);
  });

  it("off by default: the browser blocks the same page, and the refusal names the switch", async () => {
    const result = await listModelsFrom(localOrigin(), off);
    expect(result.ok).toBe(false);
    expect(result.error).toContain("Failed to fetch");
    const refused = await fetch(`${off.url}/v1/models`, { headers: { origin: localOrigin(), authorization: `Bearer ${off.token}` } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("ORCHD_CORS_ALLOW_LOCALHOST=1");
  });

  it("is set by ORCHD_CORS_ALLOW_LOCALHOST=1 or the config file key, and is off otherwise", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "llorch-cors-"));
    const file = join(dataDir, "config.json");
    writeFileSync(file, JSON.stringify({ cors_allow_localhost: true }));
    expect(loadOrchestratorConfig({ env: {}, overrides: { data_dir: dataDir } }).cors_allow_localhost).toBe(false);
    expect(loadOrchestratorConfig({ env: { ORCHD_CORS_ALLOW_LOCALHOST: "1" }, overrides: { data_dir: dataDir } }).cors_allow_localhost).toBe(true);
    expect(loadOrchestratorConfig({ env: {}, file, overrides: { data_dir: dataDir } }).cors_allow_localhost).toBe(true);
    expect(() => loadOrchestratorConfig({ env: { ORCHD_CORS_ALLOW_LOCALHOST: "yes" } })).toThrow(/ORCHD_CORS_ALLOW_LOCALHOST/);
  });
});

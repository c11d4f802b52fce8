import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
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

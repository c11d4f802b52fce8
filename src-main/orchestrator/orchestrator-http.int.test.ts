import { request as httpRequest } from "node:http";
import { statSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { AnthropicErrorSchema } from "../../src-shared/anthropic/anthropic-error.js";
import { OllamaErrorSchema } from "../../src-shared/ollama/ollama-error.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { createOrchestrator, loadOrchestratorConfig, StartupRefused } from "./index.js";
import { fp6 } from "./auth/bearer.js";

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator();
});
afterAll(async () => {
  await orch.close();
});

function concretePath(path: string): string {
  return path.replace(/\{(\w+)\}/g, "x1");
}

/** A raw HTTP request, so Host and Origin can be set freely. */
function raw(path: string, headers: Record<string, string>, method = "GET"): Promise<{ status: number; body: string }> {
  const u = new URL(orch.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("orchestrator HTTP surface", () => {
  const authRoutes = ORCHESTRATOR_ROUTES.filter((r) => r.auth);

  it.each(authRoutes.map((r) => [r.method.toUpperCase(), r.path, r] as const))("%s %s rejects a missing and a wrong token", async (_m, _p, route) => {
    const url = `${orch.url}${concretePath(route.path)}`;
    const init: RequestInit = { method: route.method.toUpperCase(), ...(route.body ? { body: "{}", headers: { "content-type": "application/json" } } : {}) };
    const missing = await fetch(url, init);
    expect(missing.status).toBe(401);
    const wrong = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: "Bearer wrong-token-wrong-token-wrong-token-00" } });
    expect(wrong.status).toBe(401);
    if (route.errorStyle === "openai") {
      expect(OpenAiErrorSchema.parse(await missing.json()).error.code).toBe("MISSING_TOKEN");
      expect(OpenAiErrorSchema.parse(await wrong.json()).error.code).toBe("BAD_TOKEN");
    } else if (route.errorStyle === "anthropic") {
      expect(AnthropicErrorSchema.parse(await missing.json()).error).toEqual({ type: "authentication_error", message: expect.stringMatching(/token is required/) });
      expect(AnthropicErrorSchema.parse(await wrong.json()).error).toEqual({ type: "authentication_error", message: expect.stringMatching(/not valid/) });
    } else if (route.errorStyle === "ollama") {
      expect(OllamaErrorSchema.parse(await missing.json()).error).toMatch(/token is required/);
      expect(OllamaErrorSchema.parse(await wrong.json()).error).toMatch(/not valid/);
    } else {
      expect(ErrorEnvelopeSchema.parse(await missing.json()).code).toBe("MISSING_TOKEN");
      expect(ErrorEnvelopeSchema.parse(await wrong.json()).code).toBe("BAD_TOKEN");
    }
  });

  it("/health is open", async () => {
    const res = await fetch(`${orch.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("logs carry the fp6 of a rejected token and never a raw token", async () => {
    const wrong = "another-wrong-token-0123456789abcdef0123";
    await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${wrong}` } });
    await orch.api("/v2/nodes");
    expect(orch.logs.some((l) => l.includes(fp6(wrong)))).toBe(true);
    expect(orch.logs.some((l) => l.includes(wrong))).toBe(false);
    expect(orch.logs.some((l) => l.includes(TEST_TOKEN))).toBe(false);
  });

  it("rejects foreign Host headers (DNS rebinding) and foreign Origins", async () => {
    const host = new URL(orch.url).host;
    expect((await raw("/health", { host: "evil.example:80" })).status).toBe(403);
    const foreignOrigin = await raw("/v2/nodes", { host, origin: "http://evil.example", authorization: `Bearer ${TEST_TOKEN}` });
    expect(foreignOrigin.status).toBe(403);
    expect(JSON.parse(foreignOrigin.body)).toMatchObject({ code: "FORBIDDEN_ORIGIN" });
    expect((await raw("/v2/nodes", { host: `localhost:${new URL(orch.url).port}`, authorization: `Bearer ${TEST_TOKEN}` })).status).toBe(200);
  });

  it("answers bad input with an envelope: 413, malformed JSON, schema path, unknown route, wrong method", async () => {
    const big = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify({ prompt: "x".repeat(1024 * 1024 + 10) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    const malformed = await orch.api("/v2/tasks", { method: "POST", body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "MALFORMED_JSON" });
    const invalid = await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "n1", machine_id: "m", address: "http://127.0.0.1:1", pools: [], capabilities: { gpus: "none" } }) });
    expect(invalid.status).toBe(400);
    const envelope = ErrorEnvelopeSchema.parse(await invalid.json());
    expect(envelope.code).toBe("INVALID_PARAMS");
    expect(envelope.message).toContain("capabilities.gpus");
    const unknown = await orch.api("/v2/nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "NOT_FOUND" });
    const wrongMethod = await orch.api("/v2/nodes", { method: "PUT" });
    expect(wrongMethod.status).toBe(405);
  });

  it("a one-time login code becomes a session cookie, and only once", async () => {
    const code = orch.orchestrator.issueLoginCode();
    const login = await fetch(`${orch.url}/login?code=${code}`, { redirect: "manual" });
    expect(login.status).toBe(302);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect(login.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${orch.url}/login?code=${code}`, { redirect: "manual" })).status).toBe(401);
    // The session is stored (as a digest): the browser stays logged in across an orchestrator restart.
    await orch.restart();
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: { cookie } })).status).toBe(200);
  });

  it("serves the dashboard with security headers, and names the session cookie after its port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llorch-dash-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>dash</title>");
    const dash = await startTestOrchestrator({ dashboard_dir: dir });
    try {
      // What a browser asks for: the dashboard.
      const page = await fetch(`${dash.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>dash</title>");
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      // What Ollama clients probe (curl, HTTP libraries: */* or no Accept): Ollama's own answer, GET and HEAD.
      for (const accept of ["*/*", undefined]) {
        const root = await fetch(`${dash.url}/`, { headers: accept === undefined ? {} : { accept } });
        expect(root.status).toBe(200);
        expect(root.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(await root.text()).toBe("Ollama is running");
        expect(root.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      }
      expect((await fetch(`${dash.url}/`, { method: "HEAD" })).status).toBe(200);
      const login = await fetch(`${dash.url}/login?code=${dash.orchestrator.issueLoginCode()}`, { redirect: "manual" });
      expect(login.headers.get("set-cookie")).toMatch(new RegExp(`^llorch_session_${new URL(dash.url).port}=`));
      // Another orchestrator's cookie on the same host is not this one's session.
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
      expect((await fetch(`${orch.url}/v2/nodes`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await dash.close();
    }
  });

  it("serves its OpenAPI document with every route", async () => {
    const doc = (await (await orch.api("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const route of ORCHESTRATOR_ROUTES) expect(doc.paths[route.path]?.[route.method]).toBeDefined();
  });
});

describe("startup safety", () => {
  it("refuses a non-loopback bind without a configured token", () => {
    const config = loadOrchestratorConfig({ env: {}, overrides: { bind_addr: "0.0.0.0:0", data_dir: mkdtempSync(join(tmpdir(), "llorch-")) } });
    expect(() => createOrchestrator({ config: { ...config, log_level: "silent" } })).toThrow(StartupRefused);
  });

  it("generates a 0600 token file on a loopback bind without a token, and reuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llorch-"));
    const config = loadOrchestratorConfig({ env: {}, overrides: { bind_addr: "127.0.0.1:0", data_dir: dir } });
    const first = createOrchestrator({ config: { ...config, log_level: "silent" } });
    expect(first.apiToken.source).toBe("generated");
    expect(statSync(first.apiToken.path as string).mode & 0o777).toBe(0o600);
    const url = await first.listen();
    expect((await fetch(`${url}/v2/nodes`, { headers: { authorization: `Bearer ${first.apiToken.token}` } })).status).toBe(200);
    await first.close();
    const second = createOrchestrator({ config: { ...config, log_level: "silent" } });
    expect(second.apiToken.token).toBe(first.apiToken.token);
    await second.listen();
    await second.close();
  });

  it("names the bad key in configuration errors", () => {
    expect(() => loadOrchestratorConfig({ env: { ORCHD_ADMISSION_POLICY: "shed" } })).toThrow(/ORCHD_ADMISSION_POLICY/);
    expect(() => loadOrchestratorConfig({ env: { ORCHD_ADMISSION_CAPACITY: "lots" } })).toThrow(/ORCHD_ADMISSION_CAPACITY/);
    expect(() => loadOrchestratorConfig({ env: { LLORCH_API_TOKEN: "short" } })).toThrow(/LLORCH_API_TOKEN/);
  });
});

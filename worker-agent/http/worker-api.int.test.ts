// The worker API's hygiene on a real agent process (no models, so no engines): bearer auth on
// every route but /health (table-driven over WORKER_ROUTES), the error envelope on every error,
// body limits, Host checks, and model receive (resumable, verified, atomic).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorEnvelopeSchema, type ErrorEnvelope } from "../../src-shared/errors/error-envelope.js";
import { ModelReceiveResponseSchema, type ModelInventoryResponse } from "../../src-shared/worker-api/model-transfer.js";
import { WorkerHealthResponseSchema } from "../../src-shared/worker-api/worker-health.js";
import { testModelPath } from "../../test-support/models.js";
import { getJson, killAllWorkers, startWorker, TEST_TOKEN, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import { WORKER_ROUTES as CONTRACT_ROUTES } from "../../src-shared/contract/worker-routes.js";

// The contract's route table with concrete example paths (every {param} filled in).
const WORKER_ROUTES = CONTRACT_ROUTES.map((r) => ({
  method: r.method.toUpperCase() as "GET" | "POST" | "PUT",
  path: r.path,
  example: r.path.replace("{sha256}", "0".repeat(64)).replace(/\{\w+\}/g, "p"),
  auth: r.auth,
  sse: r.sse === true,
}));

let worker: StartedWorker;

beforeAll(async () => {
  worker = await startWorker({ config: { node_id: "api-node", catalog_poll_ms: 60_000 } });
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const bodyFor = (method: string): string | undefined => (method === "GET" ? undefined : "{}");

describe("authentication", () => {
  it("leaves /health open", async () => {
    const { status, json } = await call("GET", "/health");
    expect(status).toBe(200);
    expect(WorkerHealthResponseSchema.parse(json)).toEqual({ status: "ok", version: "0.1.0", node_id: "api-node" });
  });

  const protectedRoutes = WORKER_ROUTES.filter((r) => r.auth);
  it("covers every route but /health", () => {
    expect(WORKER_ROUTES.filter((r) => !r.auth).map((r) => r.path)).toEqual(["/health"]);
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(10);
  });

  for (const route of protectedRoutes) {
    it(`${route.method} ${route.path}: 401 without a token, 401 with a wrong one, accepted with the right one`, async () => {
      const missing = await call(route.method, route.example, {}, bodyFor(route.method));
      expect(missing.status).toBe(401);
      expect(ErrorEnvelopeSchema.parse(missing.json).code).toBe("MISSING_TOKEN");
      const wrong = await call(route.method, route.example, { authorization: "Bearer not-the-token-0123456789abcdef0123" }, bodyFor(route.method));
      expect(wrong.status).toBe(401);
      expect(ErrorEnvelopeSchema.parse(wrong.json).code).toBe("BAD_TOKEN");
      const malformed = await call(route.method, route.example, { authorization: `Basic ${TEST_TOKEN}` }, bodyFor(route.method));
      expect(malformed.status).toBe(401);
      if (route.sse && route.method === "GET") return; // a long-lived stream; served-ness is checked below
      const right = await call(route.method, route.example, { authorization: `Bearer ${TEST_TOKEN}` }, bodyFor(route.method));
      expect(right.status).not.toBe(401);
      // The contract and the server agree: every route exists (a 404 may only be about the resource).
      if (right.status === 404) expect(ErrorEnvelopeSchema.parse(right.json).code).not.toBe("NOT_FOUND");
    });
  }

  it("serves the liveness stream the orchestrator watches", async () => {
    const controller = new AbortController();
    const res = await fetch(`${worker.url}/v2/watch`, { headers: { authorization: `Bearer ${TEST_TOKEN}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    controller.abort();
  });

  it("logs the fp6 of a rejected token and never a token itself", async () => {
    await call("GET", "/v2/pools", { authorization: "Bearer wrong-token-for-the-log-check-0123456789" });
    await waitFor(async () => worker.logs.some((l) => l.identity === `token:${tokenFingerprint("wrong-token-for-the-log-check-0123456789")}`), (seen) => seen);
    const all = JSON.stringify(worker.logs) + worker.stderr();
    expect(all).not.toContain(TEST_TOKEN);
    expect(all).not.toContain("wrong-token-for-the-log-check-0123456789");
    expect(worker.logs.some((l) => l.msg === "API token configured" && l.fp6 === tokenFingerprint(TEST_TOKEN))).toBe(true);
  });
});

describe("error envelopes and limits", () => {
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  it("answers unknown routes, unknown pools and unknown tasks with 404 envelopes", async () => {
    for (const [path, method, code] of [
      ["/nope", "GET", "NOT_FOUND"],
      ["/v2/pools/none/status", "GET", "POOL_NOT_FOUND"],
      ["/v2/tasks/none/cancel", "POST", "TASK_NOT_FOUND"],
    ] as const) {
      const res = await call(method, path, auth, bodyFor(method));
      expect(res.status, path).toBe(404);
      expect(ErrorEnvelopeSchema.parse(res.json).code).toBe(code);
    }
  });

  it("rejects malformed JSON (400) and bodies over 1 MiB (413) before anything else", async () => {
    const malformed = await call("POST", "/v2/pools/x/drain", auth, "{ nope");
    expect(malformed.status).toBe(400);
    expect((malformed.json as ErrorEnvelope).code).toBe("MALFORMED_JSON");
    const big = await call("POST", "/v2/pools/x/drain", auth, JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
    expect((big.json as ErrorEnvelope).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("rejects a foreign Host header on a loopback bind (DNS rebinding)", async () => {
    const url = new URL(worker.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: "/health", headers: { host: "evil.example:80" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe("model receive", () => {
  it("receives a model in two resumable parts, verifies its sha256 and adds it to the inventory", async () => {
    const bytes = await readFile(testModelPath("tiny"));
    const sha = createHash("sha256").update(bytes).digest("hex");
    const half = Math.floor(bytes.length / 2);
    const put = (body: Uint8Array, range?: string) =>
      fetch(`${worker.url}/v2/models/${sha}?file_name=received.gguf`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/octet-stream", ...(range !== undefined ? { "content-range": range } : {}) },
        body: new Uint8Array(body),
      });
    const first = await put(bytes.subarray(0, half), `bytes 0-${half - 1}/${bytes.length}`);
    expect(first.status).toBe(200);
    expect(ModelReceiveResponseSchema.parse(await first.json())).toEqual({ sha256: sha, bytes_received: half, complete: false, verified: false });
    // Resuming at the wrong offset says where to resume.
    const wrong = await put(bytes.subarray(half + 1), `bytes ${half + 1}-${bytes.length - 1}/${bytes.length}`);
    expect(wrong.status).toBe(409);
    expect(((await wrong.json()) as ErrorEnvelope).details).toEqual({ bytes_received: half });
    const second = await put(bytes.subarray(half), `bytes ${half}-${bytes.length - 1}/${bytes.length}`);
    expect(ModelReceiveResponseSchema.parse(await second.json())).toEqual({ sha256: sha, bytes_received: bytes.length, complete: true, verified: true });
    expect(await readdir(worker.modelsDir)).toEqual(["received.gguf"]);
    const inventory = (await getJson<ModelInventoryResponse>(`${worker.url}/v2/models`)).body.models;
    expect(inventory.map((m) => [m.file_name, m.sha256])).toEqual([["received.gguf", sha]]);
  });

  it("deletes a complete upload whose digest does not match", async () => {
    const bytes = await readFile(testModelPath("tiny-b"));
    const res = await fetch(`${worker.url}/v2/models/${"a".repeat(64)}?file_name=liar.gguf`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/octet-stream" },
      body: new Uint8Array(bytes),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorEnvelope).message).toMatch(/sha256 mismatch/);
    expect((await readdir(worker.modelsDir)).filter((n) => n.includes("liar") || n.endsWith(".part"))).toEqual([]);
  });
});

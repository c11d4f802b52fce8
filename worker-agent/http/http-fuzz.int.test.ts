// Property tests (fast-check) over every route of the worker agent's route table against a real agent
// process serving a generated model: the same generators as the orchestrator's fuzz test
// (test-support/http-fuzz.ts). Whatever arrives: no 500, the agent keeps answering, errors are JSON,
// and a 4xx changes neither the models folder (no partial file left behind) nor the models and pools
// the agent reports.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_ROUTES } from "../../src-shared/contract/worker-routes.js";
import { bodyFor, headersArbWith, headersFor, pathFor, send } from "../../test-support/http-fuzz.js";
import { testModelPath } from "../../test-support/models.js";
import { killAllWorkers, startWorker, TEST_TOKEN, type StartedWorker } from "../../test-support/worker-agent-process.js";

const RUNS_PER_ROUTE = 40;
// The worker answers 429 past 100 failed authentications a minute: mostly valid credentials, so the
// requests reach the schemas and handlers (the auth-failure paths are still drawn, a few dozen times).
const headersArb = headersArbWith(60);
let worker: StartedWorker;
let port = 0;
let requests = 0;
const statuses = new Map<number, number>();

async function snapshot(): Promise<string> {
  const files = await Promise.all((await readdir(worker.modelsDir)).sort().map(async (f) => `${f}:${(await stat(join(worker.modelsDir, f))).size}`));
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };
  const models = (await (await fetch(`${worker.url}/v2/models`, { headers: auth })).json()) as { models: { sha256: string }[] };
  const pools = (await (await fetch(`${worker.url}/v2/pools`, { headers: auth })).json()) as { pools: { pool_id: string; draining: boolean; model: { sha256?: string } | null }[] };
  return JSON.stringify({ files, models: models.models.map((m) => m.sha256).sort(), pools: pools.pools.map((p) => [p.pool_id, p.draining, p.model?.sha256 ?? null]) });
}

beforeAll(async () => {
  worker = await startWorker({ models: { "tiny.gguf": testModelPath("tiny") }, config: { node_id: "fuzz-w" } });
  port = Number(new URL(worker.url).port);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  console.log(`worker http fuzz: ${requests} requests over ${WORKER_ROUTES.length} routes (${RUNS_PER_ROUTE} runs each); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
});

describe("every route of the worker's route table under generated requests", () => {
  it("never answers 500, keeps running, answers errors in JSON and changes nothing on a 4xx", async () => {
    let before = await snapshot();
    for (const route of WORKER_ROUTES) {
      await fc.assert(
        fc.asyncProperty(pathFor(route), bodyFor(route), headersArb, async (path, body, h) => {
          const headers = headersFor(h, port, { valid: TEST_TOKEN, other: `${TEST_TOKEN}-not` }, body.contentType);
          requests++;
          const reply = await send(port, route.method, path, headers, route.method === "get" ? undefined : body.text);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const where = `${route.method.toUpperCase()} ${path} → ${reply.status} ${reply.body.slice(0, 300)}`;
          expect(reply.status, where).not.toBe(500);
          expect(reply.status, where).toBeGreaterThanOrEqual(200);
          if (reply.status >= 400 && reply.contentType.includes("json")) expect(() => JSON.parse(reply.body) as unknown, where).not.toThrow();
          const after = await snapshot();
          if (reply.status >= 400 && reply.status < 500) expect(after, `state changed on ${where}`).toBe(before);
          before = after;
        }),
        { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.FUZZ_SEED ?? 20261129), endOnFailure: true },
      );
    }
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
    expect(requests).toBe(WORKER_ROUTES.length * RUNS_PER_ROUTE);
  }, 120_000);
});

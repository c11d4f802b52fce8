// Property tests (fast-check) over every route of the orchestrator's route table against a real
// orchestrator: request bodies built from each route's own schema keys with hostile values, path
// params, query strings, Authorization headers, content types and cookies. Whatever arrives:
// no 500, the process keeps answering, errors are JSON, and a 4xx leaves the persisted state (every
// table but the audit trail and node events, which record refusals on purpose) exactly as it was.
import { createHash } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { bodyFor, headersArb, headersFor, pathFor, send } from "../../test-support/http-fuzz.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

const RUNS_PER_ROUTE = 40;
/** Tables whose rows are the orchestrator's state; audit_log and node_events record refusals by design. */
const STATE_TABLES = ["nodes", "tasks", "api_keys", "settings", "catalog_models", "dashboard_sessions", "pool_desired", "known_models", "known_model_names", "model_placements", "staging_jobs", "join_tokens"];

let orch: TestOrchestrator;
let db: Database.Database;
let inferenceKey = "";
let port = 0;
let requests = 0;
const statuses = new Map<number, number>();

function snapshot(): string {
  const hash = createHash("sha256");
  for (const table of STATE_TABLES) hash.update(table).update(JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
  return hash.digest("hex");
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ hub_base_url: "http://127.0.0.1:9" });
  port = Number(new URL(orch.url).port);
  db = new Database(join(orch.dataDir, "orchestrator.db"), { readonly: true });
  const res = await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "fuzz inference", scopes: ["inference"] }) });
  inferenceKey = CreatedApiKeySchema.parse(await res.json()).key;
});

afterAll(async () => {
  db.close();
  await orch.close();
  console.log(`http fuzz: ${requests} requests over ${ORCHESTRATOR_ROUTES.length} routes (${RUNS_PER_ROUTE} runs each); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
});

describe("every route of the route table under generated requests", () => {
  it("never answers 500, keeps running, answers errors in JSON and changes no state on a 4xx", async () => {
    let before = snapshot();
    for (const route of ORCHESTRATOR_ROUTES) {
      await fc.assert(
        fc.asyncProperty(pathFor(route), bodyFor(route), headersArb, async (path, body, h) => {
          const headers = headersFor(h, port, { valid: TEST_TOKEN, other: inferenceKey }, body.contentType);
          requests++;
          const reply = await send(port, route.method, path, headers, route.method === "get" ? undefined : body.text);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const where = `${route.method.toUpperCase()} ${path} → ${reply.status} ${reply.body.slice(0, 300)}`;
          expect(reply.status, where).not.toBe(500);
          expect(reply.status, where).toBeGreaterThanOrEqual(200);
          if (reply.status >= 400 && reply.contentType.includes("json")) expect(() => JSON.parse(reply.body) as unknown, where).not.toThrow();
          const after = snapshot();
          if (reply.status >= 400 && reply.status < 500) expect(after, `state changed on ${where}`).toBe(before);
          before = after;
        }),
        { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.FUZZ_SEED ?? 20261129), endOnFailure: true },
      );
    }
    expect((await orch.api("/health")).status).toBe(200);
    expect(requests).toBe(ORCHESTRATOR_ROUTES.length * RUNS_PER_ROUTE);
  }, 120_000);
});

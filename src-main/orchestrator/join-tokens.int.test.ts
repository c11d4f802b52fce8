// Join tokens (docs/SECURITY.md "Joining a worker"): an admin mints a single-use, short-lived token;
// a real worker agent started with LLORCH_JOIN_TOKEN exchanges it once for its own `worker` key bound
// to its node id, stores it (0600) and uses it from then on. That key serves tasks but cannot touch
// another node or mint keys; a replayed, expired or wrong-node join token is refused.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema, JoinNodeResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import type { NodeListResponse } from "../../src-shared/nodes/node-info.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { killAllWorkers, startWorker, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

let orch: TestOrchestrator;
let worker: StartedWorker;
let dataDir = "";
let joinToken = "";
let nodeKey = "";

const registration = (nodeId: string) => ({ node_id: nodeId, machine_id: `${nodeId}-host`, address: "http://127.0.0.1:9", pools: [`${nodeId}-p0`], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" });
const heartbeat = () => ({ timestamp: new Date().toISOString(), pools: [] });

function as(token: string) {
  return (path: string, method: string, body?: unknown) =>
    fetch(`${orch.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function refusal(res: Response): Promise<{ status: number; code: string; reason: unknown }> {
  const env = ErrorEnvelopeSchema.parse(await res.json());
  return { status: res.status, code: env.code, reason: (env.details as { reason?: unknown } | undefined)?.reason };
}

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return CreatedJoinTokenSchema.parse(await res.json()).token;
}

const nodes = async (): Promise<NodeListResponse> => (await (await orch.api("/v2/nodes")).json()) as NodeListResponse;

function startJoinedWorker(): Promise<StartedWorker> {
  return startWorker({
    models: { "tiny.gguf": testModelPath("tiny") },
    config: { node_id: "joined-w1", orchestrator_url: orch.url, data_dir: dataDir, heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
    env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN_TOKEN: joinToken },
  });
}

beforeAll(async () => {
  orch = await startTestOrchestrator();
  dataDir = join(await mkdtemp(join(tmpdir(), "llorch-join-")), "data");
  const res = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ node_id: "joined-w1" }) });
  expect(res.status).toBe(201);
  const created = CreatedJoinTokenSchema.parse(await res.json());
  expect(created.token).toMatch(/^llj_[0-9a-f]{64}$/);
  expect(created.node_id).toBe("joined-w1");
  expect(created.expires_at_ms - Date.now()).toBeGreaterThan(14 * 60_000);
  expect(created.expires_at_ms - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  joinToken = created.token;
  worker = await startJoinedWorker();
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orch.close();
});

describe("a worker joined with a join token", () => {
  it("stores its own worker key (mode 0600), registers with it and shows Online", async () => {
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "joined-w1" && n.status === "Online" && n.pools.some((p) => p.ready)), 30_000);
    const file = join(dataDir, "node-key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    nodeKey = (await readFile(file, "utf8")).trim();
    expect(nodeKey).toMatch(/^llo_/);
    expect(worker.logs.some((l) => l.msg === "joined the orchestrator: node key stored")).toBe(true);
    // The join token itself never reaches the log.
    expect(JSON.stringify(worker.logs)).not.toContain(joinToken);
    const keys = (await (await orch.api("/v2/auth/keys")).json()) as { keys: { name: string; scopes: string[] }[] };
    expect(keys.keys.find((k) => k.name.startsWith("node joined-w1"))?.scopes).toEqual(["worker"]);
  });

  it("serves a task placed on it", async () => {
    const res = await orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: testModelName("tiny"), messages: [{ role: "user", content: "hi" }], max_tokens: 3 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(typeof body.choices[0]?.message.content).toBe("string");
  });

  it("its key cannot mint keys or join tokens, read logs, or touch another node", async () => {
    const key = as(nodeKey);
    expect((await refusal(await key("/v2/auth/keys", "POST", { name: "x", scopes: ["worker"] }))).code).toBe("FORBIDDEN_SCOPE");
    expect((await refusal(await key("/v2/auth/join-tokens", "POST", {}))).code).toBe("FORBIDDEN_SCOPE");
    expect((await refusal(await key("/v2/logs", "GET"))).code).toBe("FORBIDDEN_SCOPE");
    // A new node id nobody owns yet: still refused, the key is bound to joined-w1.
    expect(await refusal(await key("/v2/nodes/register", "POST", registration("fresh-node")))).toEqual({ status: 409, code: "CONFLICT", reason: "key_bound_to_other_node" });
    // A node the operator registered: neither heartbeat nor deregister.
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("admin-node")) })).status).toBe(200);
    expect((await key("/v2/nodes/admin-node/heartbeat", "POST", heartbeat())).status).toBe(409);
    expect((await key("/v2/nodes/admin-node", "DELETE")).status).toBe(409);
    expect((await nodes()).nodes.some((n) => n.node_id === "admin-node")).toBe(true);
    // Nor can another credential take joined-w1 over.
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("joined-w1")) })).status).toBe(409);
  });

  it("a replayed join token is refused (401, join_token_used), and is no credential anywhere else", async () => {
    expect(await refusal(await as(joinToken)("/v2/nodes/join", "POST", { node_id: "joined-w1" }))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_used" });
    expect(await refusal(await as(joinToken)("/v2/nodes/join", "POST", { node_id: "another" }))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_used" });
    const fresh = await mint({});
    expect((await as(fresh)("/v2/nodes", "GET")).status).toBe(401);
    expect((await as(fresh)("/v2/nodes/register", "POST", registration("via-join-token"))).status).toBe(401);
  });

  it("restarts with the stored key, not the spent join token", async () => {
    expect(await worker.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    worker = await startJoinedWorker();
    await worker.waitForLog((l) => l.msg === "registered with orchestrator", 30_000);
    expect(worker.logs.some((l) => l.msg === "using the node key from an earlier join")).toBe(true);
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "joined-w1" && n.status === "Online"), 30_000);
  }, 60_000);
});

describe("join token refusals", () => {
  it("an expired join token is 401 join_token_expired", async () => {
    const token = await mint({ ttl_ms: 1000 });
    await sleep(1200);
    expect(await refusal(await as(token)("/v2/nodes/join", "POST", { node_id: "late-node" }))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_expired" });
  });

  it("a token bound to another node id is 409 and stays unspent for its own node", async () => {
    const token = await mint({ node_id: "node-a" });
    expect(await refusal(await as(token)("/v2/nodes/join", "POST", { node_id: "node-b" }))).toEqual({ status: 409, code: "CONFLICT", reason: "join_token_node_mismatch" });
    const res = await as(token)("/v2/nodes/join", "POST", { node_id: "node-a" });
    expect(res.status).toBe(201);
    const joined = JoinNodeResponseSchema.parse(await res.json());
    expect(joined.scopes).toEqual(["worker"]);
    // The id is reserved for that key before its first registration: the operator's token cannot take it.
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("node-a")) })).status).toBe(409);
    expect((await as(joined.key)("/v2/nodes/register", "POST", registration("node-a"))).status).toBe(200);
  });

  it("joining an id already bound to a credential is 409 node_already_bound", async () => {
    const token = await mint({});
    expect(await refusal(await as(token)("/v2/nodes/join", "POST", { node_id: "admin-node" }))).toEqual({ status: 409, code: "CONFLICT", reason: "node_already_bound" });
    // Nor is a token minted for it: every join with it would be refused.
    expect(await refusal(await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ node_id: "admin-node" }) }))).toEqual({ status: 409, code: "CONFLICT", reason: "node_already_bound" });
  });

  it("an API key is no join token (403), a bad ttl is 400, and only admins mint", async () => {
    expect((await refusal(await orch.api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "x1" }) }))).code).toBe("FORBIDDEN_SCOPE");
    expect((await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ ttl_ms: 25 * 3_600_000 }) })).status).toBe(400);
    const worker = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "w", scopes: ["worker"] }) })).json()).key;
    expect((await as(worker)("/v2/auth/join-tokens", "POST", {})).status).toBe(403);
    expect((await as(worker)("/v2/nodes/join", "POST", { node_id: "x2" })).status).toBe(403);
  });
});

// The join's answer lost after the orchestrator committed it (killed right after its commit, the
// connection cut): the agent's retry found the token spent, exited 2 `join_token_used` and the node was
// locked out until an operator revoked its key, forgot the node and minted a new token. The agent now
// proposes its own key (stored in <data_dir>/node-key.pending before asking), so it already holds it.
describe("a join whose answer was lost", () => {
  it("completes at the agent's next start with the key it proposed; a proposed key in use is refused", async () => {
    const token = await mint({ node_id: "lost-answer-w" });
    const dir = join(await mkdtemp(join(tmpdir(), "llorch-join-lost-")), "data");
    await mkdir(dir, { recursive: true });
    const proposed = `llo_${randomBytes(32).toString("hex")}`;
    await writeFile(join(dir, "node-key.pending"), `${proposed}\n`, { mode: 0o600 });
    // What the agent sent before the answer was lost: the join commits, nobody reads the answer.
    const lost = await as(token)("/v2/nodes/join", "POST", { node_id: "lost-answer-w", key: proposed });
    expect(lost.status).toBe(201);
    await lost.body?.cancel();

    const again = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { node_id: "lost-answer-w", orchestrator_url: orch.url, data_dir: dir, heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
      env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN_TOKEN: token },
    });
    try {
      await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "lost-answer-w" && n.status === "Online"), 30_000);
      expect((await readFile(join(dir, "node-key"), "utf8")).trim()).toBe(proposed);
      await expect(stat(join(dir, "node-key.pending"))).rejects.toThrow(/ENOENT/);
    } finally {
      await again.stop("SIGTERM");
    }

    // Two agents sharing one proposed key (a copied data dir) would share a credential: refused, token unspent.
    const other = await mint({});
    expect(await refusal(await as(other)("/v2/nodes/join", "POST", { node_id: "copied-w", key: proposed }))).toEqual({ status: 409, code: "CONFLICT", reason: "join_key_in_use" });
    expect((await as(other)("/v2/nodes/join", "POST", { node_id: "copied-w" })).status).toBe(201);
  }, 90_000);
});

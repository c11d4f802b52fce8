import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema, JoinNodeResponseSchema, JoinTokenListResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { ApiKeyListResponseSchema, CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { followTaskEvents } from "../../test-support/sse-client.js";
import { waitFor } from "../../test-support/wait-for.js";
import { mulberry32 } from "../../scripts/gguf/prng.js";

// "The process dies at the worst moment": a seeded loop of rounds, each one firing a burst of task
// admissions (group-committed journal), API-key creations and revocations and a join-token redemption
// at a real orchestrator process, then killing it at a random instant — SIGKILL, SIGTERM then SIGKILL
// 50 ms later (mid graceful shutdown), or SIGKILL and a second SIGKILL during the restart's recovery.
// After the last restart the invariants are checked against what each client was told:
// every acknowledged task ends once and never runs to its end twice, an acknowledged key exists and
// works, an acknowledged revocation holds, a join is whole or not at all, the node comes back, and the
// database passes SQLite's integrity check. KILL_LOOP_SEED / KILL_LOOP_ROUNDS (≤ 30) repeat or widen a run.
const TOKEN = "kill-loop-token-0123456789abcdef0123456789abcdef";
const MODEL = "kill-loop-sim";
const SEED = Number(process.env.KILL_LOOP_SEED ?? 20261130);
const ROUNDS = Math.min(30, Number(process.env.KILL_LOOP_ROUNDS ?? 10));
/** Admissions per wave (6 waves a round, 150 ms apart); KILL_LOOP_WAVE=100 sends 600 a round. */
const WAVE = Math.min(500, Number(process.env.KILL_LOOP_WAVE ?? 20));


let dataDir: string;
let port: number;
let orch: HeadlessOrchestrator | null = null;
let node: ProtocolNode;
/** Per task id: infer requests the node received, and answers it finished (end written). */
const inferred = new Map<string, number>();
const finishedOnNode = new Map<string, number>();

const url = () => `http://127.0.0.1:${port}`;
const api = (path: string, init: RequestInit = {}, token = TOKEN) => fetch(`${url()}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers }, signal: AbortSignal.timeout(20_000) });

async function start(): Promise<void> {
  orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN, env: { ORCHD_ADMISSION_CAPACITY: "100000", ORCHESTRATORD_NODE_TIMEOUT_MS: "3000" } });
  // The simulated node re-registers as an agent does on its next heartbeat's 404.
  await waitFor("the node registered again", async () => {
    try {
      await node.reregister();
      return true;
    } catch {
      return false;
    }
  }, 20_000, 100);
}

/** Starts the orchestrator and SIGKILLs it `afterMs` later, wherever its start-up (recovery) is by then. */
async function killDuringStartup(afterMs: number): Promise<void> {
  const child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "--bind", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: { PATH: process.env.PATH, HOME: dataDir, LLORCH_API_TOKEN: TOKEN, LLORCH_LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "llorch-kill-loop-"));
  port = await freePort();
  orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN, env: { ORCHD_ADMISSION_CAPACITY: "100000", ORCHESTRATORD_NODE_TIMEOUT_MS: "3000" } });
  node = await startProtocolNode({
    orchUrl: url(),
    token: TOKEN,
    nodeId: "kill-loop-node",
    modelName: MODEL,
    slots: 8,
    onInfer: (res, { task_id }) => {
      inferred.set(task_id, (inferred.get(task_id) ?? 0) + 1);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      // A gap between the journaled start and the first token: a kill lands there too.
      setTimeout(() => {
        if (res.destroyed) return;
        res.write(sseFrame("token", { t: "ok", i: 0 }));
        res.end(sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 1 }));
        finishedOnNode.set(task_id, (finishedOnNode.get(task_id) ?? 0) + 1);
      }, 15);
    },
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await orch?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`an orchestrator killed at ${ROUNDS} random moments (seed ${SEED})`, () => {
  it("keeps every acknowledged task, key, revocation and join; the node returns; the database is whole", async () => {
    const random = mulberry32(SEED);
    const acked = new Map<string, { key: string | null; body: ReturnType<typeof taskRequest> }>();
    const keys = new Map<string, { secret: string; revoked: boolean }>();
    const joins: { tokenId: string; fp6: string; token: string; nodeId: string; answer: { key: string } | null }[] = [];
    const kinds: Record<string, number> = {};

    for (let round = 0; round < ROUNDS; round++) {
      if (orch === null) await start();
      // A join token minted before the kill, redeemed in the burst.
      const minted = await api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({}) });
      const join = CreatedJoinTokenSchema.parse(await minted.json());
      const joinNodeId = `joined-${round}`;
      const joinRecord = { tokenId: join.id, fp6: join.fp6, token: join.token, nodeId: joinNodeId, answer: null as { key: string } | null };
      joins.push(joinRecord);
      const revocable = [...keys.entries()].filter(([, k]) => !k.revoked).slice(0, 2);

      // Spread over about a second (waves of admissions; keys, revocations and the join at seeded
      // offsets) so that the kill below lands before, inside or after any of them.
      const work: Promise<unknown>[] = [];
      const later = (ms: number, fn: () => Promise<unknown>) => work.push(new Promise((r) => setTimeout(r, ms)).then(fn));
      for (let wave = 0; wave < 6; wave++) {
        later(wave * 150, () => {
          const admissions: Promise<unknown>[] = [];
          for (let i = 0; i < WAVE; i++) {
            const keyed = random() < 0.15 ? `kl-${randomUUID()}` : null;
            const body = taskRequest(MODEL, { max_tokens: 1, deadline_ms: 120_000 });
            admissions.push(
              api("/v2/tasks", { method: "POST", body: JSON.stringify(body), headers: keyed !== null ? { "idempotency-key": keyed } : {} }).then(
                async (res) => {
                  if (res.status === 202) acked.set(body.task_id as string, { key: keyed, body });
                  await res.body?.cancel();
                },
                () => undefined,
              ),
            );
          }
          return Promise.all(admissions);
        });
      }
      for (let i = 0; i < 3; i++) {
        later(Math.floor(random() * 900), () =>
          api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: `kl-${round}-${i}`, scopes: ["read"] }) }).then(
            async (res) => {
              if (res.status === 201) {
                const created = CreatedApiKeySchema.parse(await res.json());
                keys.set(created.id, { secret: created.key, revoked: false });
              }
            },
            () => undefined,
          ),
        );
      }
      for (const [id, k] of revocable) {
        later(Math.floor(random() * 900), () => api(`/v2/auth/keys/${id}`, { method: "DELETE" }).then((res) => void (res.status === 204 && (k.revoked = true)), () => undefined));
      }
      later(Math.floor(random() * 900), () =>
        api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: joinNodeId }) }, join.token).then(
          async (res) => {
            if (res.status === 201) joinRecord.answer = JoinNodeResponseSchema.parse(await res.json());
          },
          () => undefined,
        ),
      );

      // The kill: somewhere in the burst, its commits, its dispatches and the first tokens.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 1200)));
      const how = random();
      const current = orch as HeadlessOrchestrator | null;
      orch = null;
      if (how < 0.2) {
        kinds["SIGTERM+SIGKILL"] = (kinds["SIGTERM+SIGKILL"] ?? 0) + 1;
        process.kill(current?.pid ?? 0, "SIGTERM");
        await new Promise((r) => setTimeout(r, 50));
        await current?.kill("SIGKILL");
      } else if (how < 0.35) {
        kinds["SIGKILL, SIGKILL in recovery"] = (kinds["SIGKILL, SIGKILL in recovery"] ?? 0) + 1;
        await current?.kill("SIGKILL");
        await Promise.allSettled(work);
        await killDuringStartup(100 + Math.floor(random() * 600));
      } else {
        kinds.SIGKILL = (kinds.SIGKILL ?? 0) + 1;
        await current?.kill("SIGKILL");
      }
      await Promise.allSettled(work);
    }

    await start();
    const status = async (id: string) => TaskStatusSchema.parse(await (await api(`/v2/tasks/${id}`)).json());
    const ids = [...acked.keys()];
    // Every acknowledged task is known and ends (queued ones run now, running ones ended at the restart).
    await waitFor("every acknowledged task terminal", async () => {
      for (const id of ids) if (!["completed", "failed", "canceled"].includes((await status(id)).state)) return false;
      return true;
    }, 120_000, 500);
    const states: Record<string, number> = {};
    for (const id of ids) {
      const s = await status(id);
      states[`${s.state}${s.error ? ` ${s.error.code}` : ""}`] = (states[`${s.state}${s.error ? ` ${s.error.code}` : ""}`] ?? 0) + 1;
      // Never run to its end twice (a failure before the first token may re-place it: that is not a run).
      expect(finishedOnNode.get(id) ?? 0, `task ${id} answered by the node more than once`).toBeLessThanOrEqual(1);
      if (s.state === "completed") expect(finishedOnNode.get(id) ?? 0, `completed task ${id} never answered by the node`).toBe(1);
    }
    // A reconnecting client gets exactly one terminal event (a seeded sample: each costs a stream).
    const sample = ids.filter(() => random() < 0.1).slice(0, 60);
    for (const id of sample) {
      const events = (await followTaskEvents(url(), TOKEN, id).done).map((e) => e.event.event);
      expect(events.filter((e) => e === "end" || e === "error"), `terminal events of ${id}`).toHaveLength(1);
    }
    // A keyed task retried after all this gets its own task back, never a new run.
    for (const [id, a] of [...acked.entries()].filter(([, a]) => a.key !== null).slice(0, 20)) {
      const retry = await api("/v2/tasks", { method: "POST", body: JSON.stringify({ ...a.body, task_id: randomUUID() }), headers: { "idempotency-key": a.key ?? "" } });
      expect(((await retry.json()) as { task_id: string }).task_id).toBe(id);
    }

    // Keys: an acknowledged creation authenticates unless its revocation was acknowledged; an
    // acknowledged revocation holds; every listed key is either live or revoked, as it authenticates.
    const listed = new Map(ApiKeyListResponseSchema.parse(await (await api("/v2/auth/keys")).json()).keys.map((k) => [k.id, k]));
    for (const [id, k] of keys) {
      const res = await api("/v2/tasks?limit=1", {}, k.secret);
      await res.body?.cancel();
      const row = listed.get(id);
      expect(row, `acknowledged key ${id} listed`).toBeDefined();
      if (k.revoked) expect(res.status, `revoked key ${id}`).toBe(401);
      expect(res.status === 401, `key ${id} listed ${row?.revoked_at_ms === null ? "live" : "revoked"} but answered ${res.status}`).toBe(row?.revoked_at_ms !== null);
    }
    // Joins: whole or not at all. A redemption whose answer arrived holds a working key; one whose answer
    // was lost either left the token unspent (it can be redeemed now) or issued the key (listed by name).
    const unspent = new Set(JoinTokenListResponseSchema.parse(await (await api("/v2/auth/join-tokens")).json()).join_tokens.map((t) => t.id));
    const keyNames = [...listed.values()].map((k) => k.name);
    for (const j of joins) {
      const issued = keyNames.some((n) => n.includes(`join ${j.fp6}`));
      expect(unspent.has(j.tokenId) !== issued, `join token ${j.tokenId}: unspent ${unspent.has(j.tokenId)}, key issued ${issued}`).toBe(true);
      if (j.answer !== null) {
        expect(issued).toBe(true);
        const res = await api("/v2/nodes", {}, j.answer.key);
        expect(res.status, `joined key of ${j.nodeId}`).not.toBe(401);
        await res.body?.cancel();
      } else if (unspent.has(j.tokenId)) {
        const again = await api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: j.nodeId }) }, j.token);
        expect(again.status, `join of ${j.nodeId} again`).toBe(201);
      }
    }
    // The node is back and serves.
    await waitFor("the node Online", async () => NodeListResponseSchema.parse(await (await api("/v2/nodes")).json()).nodes.some((n) => n.node_id === "kill-loop-node" && n.status === "Online"));

    await orch?.kill("SIGTERM");
    orch = null;
    const db = new Database(join(dataDir, "orchestrator.db"));
    expect((db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    db.close();
    console.log(`kill loop seed ${SEED}: ${ROUNDS} kills ${JSON.stringify(kinds)}; ${acked.size} tasks acknowledged ${JSON.stringify(states)}; ${keys.size} keys, ${[...keys.values()].filter((k) => k.revoked).length} revoked; ${joins.filter((j) => j.answer !== null).length}/${joins.length} joins answered`);
    expect(acked.size).toBeGreaterThan(0);
  }, 600_000);
});

describe("a first start SIGKILLed while it creates and migrates its database", () => {
  // Each migration is one transaction: a kill leaves the file at some whole schema version (seen here
  // at 0, 2 and 9 of 9), and the next start carries on from there.
  it("starts next time on whatever the kill left, every time", async () => {
    const random = mulberry32(SEED + 1);
    for (let i = 0; i < 6; i++) {
      const dir = mkdtempSync(join(tmpdir(), "llorch-kill-migrate-"));
      try {
        const child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "--bind", "127.0.0.1:0", "--data-dir", dir], {
          env: { PATH: process.env.PATH, HOME: dir, LLORCH_API_TOKEN: TOKEN, LLORCH_LOG_LEVEL: "silent" },
          stdio: "ignore",
        });
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        await waitFor("the database file created", () => existsSync(join(dir, "orchestrator.db")) || child.exitCode !== null, 30_000, 2);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 30)));
        child.kill("SIGKILL");
        await exited;
        const again = await startHeadlessOrchestrator({ port: await freePort(), dataDir: dir, token: TOKEN });
        await again.kill("SIGTERM");
        const db = new Database(join(dir, "orchestrator.db"));
        expect((db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
        db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 180_000);
});

describe("Ctrl-C twice while running tasks have their shutdown grace", () => {
  // The second signal was ignored: the process looked hung for up to shutdown_grace_ms (here 10 min).
  it("the second signal exits at once; the next start ends the running task once (WORKER_RESET)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llorch-kill-twice-"));
    const p = await freePort();
    const env = { ORCHD_SHUTDOWN_GRACE_MS: "600000" };
    let current: HeadlessOrchestrator | null = await startHeadlessOrchestrator({ port: p, dataDir: dir, token: TOKEN, env });
    const base = `http://127.0.0.1:${p}`;
    const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
    const silent = await startProtocolNode({
      orchUrl: base,
      token: TOKEN,
      nodeId: "twice-node",
      modelName: "twice-sim",
      slots: 1,
      // Started, then a token now and then, never the end: the task runs through the whole grace period.
      onInfer: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(sseFrame("token", { t: "x", i: 0 }))), 500);
      },
    });
    try {
      const body = taskRequest("twice-sim", { max_tokens: 1000, deadline_ms: 600_000 });
      expect((await call("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
      await waitFor("the task running", async () => TaskStatusSchema.parse(await (await call(`/v2/tasks/${body.task_id}`)).json()).state === "running", 20_000);
      process.kill(current.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      await current.kill("SIGINT");
      let alive = true;
      try {
        process.kill(current.pid, 0);
      } catch {
        alive = false;
      }
      expect(alive, "the orchestrator still running after the second signal").toBe(false);
      current = await startHeadlessOrchestrator({ port: p, dataDir: dir, token: TOKEN, env });
      const events = (await followTaskEvents(base, TOKEN, body.task_id as string).done).map((e) => e.event);
      expect(events.filter((e) => e.event === "end" || e.event === "error")).toEqual([expect.objectContaining({ event: "error", data: expect.objectContaining({ code: "WORKER_RESET" }) as unknown })]);
    } finally {
      await silent.stop();
      await current?.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

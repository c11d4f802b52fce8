import { existsSync, readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../scripts/gguf/prng.js";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { CatalogModelViewListSchema } from "../../src-shared/catalog/catalog-view.js";
import { HubPullSchema } from "../../src-shared/catalog/hub-pull.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeListResponseSchema, type NodeInfo } from "../../src-shared/nodes/node-info.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import { StageModelResponseSchema, StagingJobSchema } from "../../src-shared/staging/staging-job.js";
import { TaskListResponseSchema, isTerminalTaskState, type TaskStatus } from "../../src-shared/tasks/task-status.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { startLocalHub, type LocalHub } from "../../test-support/local-hub.js";
import { testModelName, testModelPath, type TestModelKind } from "../../test-support/models.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { ensureBigModel } from "../../test-support/staging-cluster.js";
import { waitFor } from "../../test-support/wait-for.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { followTaskEvents } from "../../test-support/sse-client.js";

// POST-MERGE SOAK (`npm run soak`): one bounded, seeded run mixing what four merged changes touch —
// every inference surface (streaming, aborted mid-stream, 50 ms bursts, 400 KB prompts), staging
// between workers (some canceled), hub pulls from a local hub (some dropped, lying or stalled),
// API keys created and revoked (the key one worker runs on among them), a worker SIGSTOPped and one
// SIGKILLed and restarted, the orchestrator SIGKILLed and restarted on its data dir, and a dashboard
// /v2/events reader (sometimes slow) throughout. After each phase the invariants are checked.
// SOAK_SEED replays; SOAK_ROUNDS (default 2) repeats the phase cycle.
const SEED = Number(process.env.SOAK_SEED ?? 20261130);
const ROUNDS = Math.min(10, Number(process.env.SOAK_ROUNDS ?? 2));
const ADMIN = "soak-admin-token-0123456789abcdef0123456789abcdef";
const CHAT_MODEL = testModelName("tiny");
const B_MODEL = testModelName("tiny-b");

interface Node {
  id: string;
  models: TestModelKind[];
  worker: WorkerProcess | undefined;
  token: string;
  /** Faulted on purpose (stopped, killed, key revoked): may be non-Online without a violation. */
  faulted: boolean;
}

const violations: string[] = [];
const violate = (msg: string) => {
  violations.push(msg);
  console.log(`VIOLATION ${msg}`);
};
let orch: HeadlessOrchestrator | undefined;
let hub: LocalHub | undefined;
let stallServer: Server | undefined;
const nodes: Node[] = [];
let dataDir = "";

afterAll(async () => {
  for (const n of nodes) {
    if (n.worker) {
      try {
        process.kill(n.worker.pid, "SIGCONT");
      } catch {
        /* gone */
      }
      await n.worker.kill("SIGKILL");
    }
  }
  await orch?.kill("SIGKILL");
  await hub?.close();
  stallServer?.closeAllConnections();
  stallServer?.close();
  if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
});

/** Engine child pids an agent logged ("engine starting"). */
function enginePids(w: WorkerProcess | undefined): number[] {
  const pids = new Set<number>();
  for (const line of w?.lines ?? []) {
    const m = /"engine_pid":(\d+)/.exec(line);
    if (m) pids.add(Number(m[1]));
  }
  return [...pids];
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe(`post-merge soak (seed ${SEED}, ${ROUNDS} rounds)`, () => {
  it("keeps every invariant across mixed traffic, staging, pulls, keys and kills", async () => {
    const rnd = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    dataDir = mkdtempSync(join(tmpdir(), "llorch-soak-"));
    const port = await freePort();
    const bigPath = await ensureBigModel();
    const BIG = sha256Hex(readFileSync(bigPath));
    hub = await startLocalHub({ "/acme/tiny-GGUF/resolve/main/tiny-b.gguf": testModelPath("tiny-b"), "/acme/tiny-GGUF/resolve/main/tiny.gguf": testModelPath("tiny"), "/acme/big-GGUF/resolve/main/big.gguf": bigPath });
    // A hub that answers headers then goes silent (the stall timeout must resume, a DELETE must end it).
    stallServer = createServer((req, res) => {
      const from = Number(/^bytes=(\d+)-/.exec(req.headers.range ?? "")?.[1] ?? 0);
      const size = 5_000_000;
      res.writeHead(req.headers.range ? 206 : 200, { "content-type": "application/octet-stream", "content-length": String(size - from), "accept-ranges": "bytes", ...(req.headers.range ? { "content-range": `bytes ${from}-${size - 1}/${size}` } : {}) });
      res.write(Buffer.alloc(1000));
    });
    await new Promise<void>((r) => stallServer?.listen(0, "127.0.0.1", () => r()));
    const stallUrl = `http://127.0.0.1:${(stallServer.address() as AddressInfo).port}/stall.gguf`;
    const orchEnv = { LLORCH_HUB_BASE_URL: hub.url, LLORCH_HUB_STALL_TIMEOUT_MS: "1000" };
    const startOrch = async () => (orch = await startHeadlessOrchestrator({ port, dataDir, token: ADMIN, env: orchEnv }));
    await startOrch();
    const base = `http://127.0.0.1:${port}`;
    const api = (path: string, init: RequestInit = {}, token = ADMIN) =>
      fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers }, signal: init.signal ?? AbortSignal.timeout(60_000) });
    const createKey = async (name: string, scopes: string[]) => {
      const res = await api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes }) });
      expect(res.status).toBe(201);
      return CreatedApiKeySchema.parse(await res.json());
    };

    // Three workers: a and b serve tiny, c serves tiny-b and runs on its own worker-scoped API key.
    let workerKey = await createKey("worker-c", ["worker"]);
    nodes.push({ id: "soak-a", models: ["tiny"], worker: undefined, token: ADMIN, faulted: false });
    nodes.push({ id: "soak-b", models: ["tiny"], worker: undefined, token: ADMIN, faulted: false });
    nodes.push({ id: "soak-c", models: ["tiny-b"], worker: undefined, token: workerKey.key, faulted: false });
    const startNode = async (n: Node) => {
      n.worker = await startWorkerProcess({ nodeId: n.id, models: n.models, orchestratorUrl: base, token: n.token, slots: 2, config: { catalog_poll_ms: 500 }, startTimeoutMs: 60_000 });
      n.faulted = false;
    };
    await Promise.all(nodes.map(startNode));
    const listNodes = async (): Promise<NodeInfo[]> => NodeListResponseSchema.parse(await (await api("/v2/nodes")).json()).nodes;
    await waitFor(listNodes, (ns) => nodes.every((n) => ns.some((x) => x.node_id === n.id && x.status === "Online")), 30_000, 100);

    // The dashboard reader: reconnects on any end; sometimes slow (sleeps between frames).
    const feedTasks = new Map<string, TaskStatus[]>();
    const feedNodes = new Map<string, string>();
    let feedFrames = 0;
    let feedConnects = 0;
    let stopFeed = false;
    let slowFeed = false;
    /** No fault is being injected: a healthy node going Suspect/Offline is a false positive. */
    let quiet = false;
    const feed = (async () => {
      while (!stopFeed) {
        try {
          const ctl = new AbortController();
          const res = await fetch(`${base}/v2/events`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: ctl.signal });
          if (!res.ok || res.body === null) throw new Error(`events ${res.status}`);
          feedConnects++;
          for await (const frame of readSseFrames(res.body)) {
            if (stopFeed) {
              ctl.abort();
              break;
            }
            feedFrames++;
            const data: unknown = JSON.parse(frame.data);
            if (frame.event === "snapshot") {
              const snap = data as { tasks: TaskStatus[]; nodes: NodeInfo[] };
              for (const n of snap.nodes) feedNodes.set(n.node_id, n.status);
            } else if (frame.event === "task") {
              const t = data as TaskStatus;
              const list = feedTasks.get(t.task_id) ?? [];
              list.push(t);
              feedTasks.set(t.task_id, list);
            } else if (frame.event === "node") {
              const n = data as NodeInfo;
              feedNodes.set(n.node_id, n.status);
              const ours = nodes.find((x) => x.id === n.node_id);
              if (quiet && ours !== undefined && !ours.faulted && (n.status === "Suspect" || n.status === "Offline")) violate(`${n.node_id} went ${n.status} on the feed while healthy (quiet window)`);
            } else if (frame.event === "node_removed") {
              feedNodes.delete((data as { node_id: string }).node_id);
            }
            if (slowFeed) await new Promise((r) => setTimeout(r, 100));
          }
        } catch {
          /* orchestrator down or stream cut: reconnect */
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    // Traffic: every surface, some streaming, some aborted, a few 400 KB prompts.
    /** Every task id a client was told was accepted (X-Task-Id, or a 202 of POST /v2/tasks). */
    const accepted = new Set<string>();
    const requests = { sent: 0, ok: 0, aborted: 0, refused: 0, errors: new Map<string, number>() };
    const firstBody = new Map<string, string>();
    const note = (k: string, body = "") => {
      requests.errors.set(k, (requests.errors.get(k) ?? 0) + 1);
      if (!firstBody.has(k)) firstBody.set(k, body.slice(0, 300));
    };
    const one = async (key: string) => {
      const big = rnd() < 0.04;
      const prompt = big ? "lorem ipsum ".repeat(34_000) : `say something ${Math.floor(rnd() * 1e6)}`;
      const stream = rnd() < 0.5;
      const abort = stream && rnd() < 0.3;
      const model = rnd() < 0.75 ? CHAT_MODEL : B_MODEL;
      const surface = pick(["chat", "completions", "messages", "api-chat", "embeddings", "v2"] as const);
      const bodies: Record<typeof surface, [string, unknown]> = {
        chat: ["/v1/chat/completions", { model, messages: [{ role: "user", content: prompt }], max_tokens: 8, stream }],
        completions: ["/v1/completions", { model, prompt, max_tokens: 8, stream }],
        messages: ["/v1/messages", { model, messages: [{ role: "user", content: prompt }], max_tokens: 8, stream }],
        "api-chat": ["/api/chat", { model, messages: [{ role: "user", content: prompt }], stream, options: { num_predict: 8 } }],
        embeddings: ["/v1/embeddings", { model, input: big ? prompt.slice(0, 2000) : prompt }],
        v2: ["/v2/tasks", taskRequest(model, { prompt, max_tokens: 8 })],
      };
      const [path, body] = bodies[surface];
      const ctl = new AbortController();
      requests.sent++;
      try {
        const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, signal: ctl.signal });
        if (abort && res.body) {
          const id = res.headers.get("x-task-id");
          if (id !== null) accepted.add(id);
          const reader = res.body.getReader();
          await reader.read();
          ctl.abort();
          requests.aborted++;
          return;
        }
        const id = res.headers.get("x-task-id") ?? (surface === "v2" && res.status === 202 ? (body as { task_id: string }).task_id : null);
        if (id !== null) accepted.add(id);
        const text = await res.text();
        if (res.ok) requests.ok++;
        else if (res.status === 401 || res.status === 403) requests.refused++;
        else note(`${surface} ${res.status}${big ? " big" : ""}`, text);
      } catch (e) {
        note(`${surface} ${(e as Error).name}`);
      }
    };
    const traffic = async (count: number, key: string) => {
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        inflight.push(one(key));
        await new Promise((r) => setTimeout(r, rnd() < 0.5 ? 50 : 150));
      }
      await Promise.all(inflight);
    };

    // Invariants, checked after each phase.
    const rss: number[] = [];
    const checkedStreams = new Set<string>();
    const check = async (phase: string) => {
      // Every task ends (terminal within a bound) and the feed never shows two different endings or an end undone.
      const all = await waitFor(async () => TaskListResponseSchema.parse(await (await api("/v2/tasks?limit=1000")).json()).tasks, (ts) => ts.every((t) => isTerminalTaskState(t.state)), 90_000, 250).catch(async () => {
        const ts = TaskListResponseSchema.parse(await (await api("/v2/tasks?limit=1000")).json()).tasks;
        for (const t of ts.filter((x) => !isTerminalTaskState(x.state))) violate(`${phase}: task ${t.task_id} stuck ${t.state} on ${t.node_id ?? "-"}`);
        return ts;
      });
      await new Promise((r) => setTimeout(r, 1500));
      // None lost: every accepted id is known and ended; and its own event stream (replayed) carries exactly one terminal event.
      const known = new Map(all.map((t) => [t.task_id, t]));
      let replayed = 0;
      for (const id of accepted) {
        let t = known.get(id);
        if (t === undefined) {
          const res = await api(`/v2/tasks/${id}`);
          if (res.status !== 200) {
            violate(`${phase}: accepted task ${id} unknown (${res.status})`);
            continue;
          }
          t = (await res.json()) as TaskStatus;
        }
        if (!isTerminalTaskState(t.state)) violate(`${phase}: accepted task ${id} still ${t.state}`);
        else if (!checkedStreams.has(id) && replayed < 40) {
          replayed++;
          checkedStreams.add(id);
          const stream = followTaskEvents(base, ADMIN, id);
          const events = await Promise.race([stream.done, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
          if (events === null) {
            stream.abort();
            violate(`${phase}: ${id}'s event stream did not end within 10 s`);
          } else {
            const ends = events.filter((e) => e.event.event === "end" || e.event.event === "error").length;
            if (ends !== 1) violate(`${phase}: ${id}'s event stream has ${ends} terminal events (${t.state})`);
          }
        }
      }
      for (const t of all) {
        const frames = feedTasks.get(t.task_id) ?? [];
        const endings = frames.filter((f) => isTerminalTaskState(f.state));
        const distinct = new Set(endings.map((f) => f.state));
        if (distinct.size > 1) violate(`${phase}: task ${t.task_id} ended ${[...distinct].join(" and ")} on the feed`);
        const lastEnd = frames.findLastIndex((f) => isTerminalTaskState(f.state));
        if (lastEnd >= 0 && frames.slice(lastEnd + 1).some((f) => !isTerminalTaskState(f.state))) violate(`${phase}: task ${t.task_id} went back to ${frames.at(-1)?.state} after ending on the feed`);
        if (endings.length > 0 && endings.at(-1)?.state !== t.state) violate(`${phase}: task ${t.task_id} is ${t.state} in /v2/tasks but ${endings.at(-1)?.state} on the feed`);
      }
      // Healthy nodes are Online, in /v2/nodes and on the feed.
      const listed = await listNodes();
      for (const n of nodes.filter((x) => !x.faulted)) {
        const st = listed.find((x) => x.node_id === n.id)?.status;
        if (st !== "Online") violate(`${phase}: healthy ${n.id} is ${st ?? "absent"} in /v2/nodes`);
      }
      await waitFor(async () => listed.every((n) => feedNodes.get(n.node_id) === n.status), (ok) => ok, 5_000, 250).catch(() => {
        for (const n of listed) if (feedNodes.get(n.node_id) !== n.status) violate(`${phase}: ${n.node_id} ${n.status} in /v2/nodes, ${feedNodes.get(n.node_id) ?? "absent"} on the feed`);
      });
      // Catalog vs disk: no .part on a worker unless the catalog says partial/staging there.
      const catalog = CatalogModelViewListSchema.parse(await (await api("/v2/catalog/models")).json()).models;
      for (const n of nodes) {
        if (n.worker === undefined) continue;
        const files = await readdir(n.worker.modelsDir).catch(() => [] as string[]);
        const parts = files.filter((f) => f.endsWith(".part") || f.includes(".partial"));
        const partialHere = catalog.some((m) => m.nodes.some((p) => p.node_id === n.id && (p.state === "partial" || p.state === "staging")));
        if (parts.length > 0 && !partialHere) violate(`${phase}: ${n.id} has ${parts.join(",")} on disk; catalog shows no partial there`);
      }
      // Orchestrator RSS.
      const pid = orch?.pid;
      if (pid !== undefined && existsSync(`/proc/${pid}/status`)) {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
        rss.push(kb);
        if (kb > 600_000) violate(`${phase}: orchestrator RSS ${kb} kB`);
      }
      console.log(`[soak] ${phase}: tasks ${all.length}, accepted ${accepted.size}, replayed ${checkedStreams.size}, feed frames ${feedFrames} (connects ${feedConnects}), requests ${JSON.stringify({ ...requests, errors: Object.fromEntries(requests.errors) })}, rss ${rss.at(-1) ?? "?"} kB, violations ${violations.length}`);
    };

    // The big model into the orchestrator's store (a dropped connection on the way: the pull resumes).
    hub.dropNextAfter = 5_000_000;
    const bigPull = await api("/v2/catalog/pull", { method: "POST", body: JSON.stringify({ ref: "hf://acme/big-GGUF/big.gguf" }) });
    expect(bigPull.status).toBe(202);
    const bigDone = await waitFor(async () => HubPullSchema.parse(await (await api(`/v2/catalog/pulls/${HubPullSchema.parse(await bigPull.clone().json()).pull_id}`)).json()), (p) => p.finished_at_ms !== null, 90_000, 100);
    expect(bigDone.state).toBe("completed");
    const userKey = await createKey("user-0", ["inference"]);
    let userSecret = userKey.key;
    for (let round = 0; round < ROUNDS; round++) {
      quiet = true;
      // 1. traffic alone, a slow feed for half of it.
      slowFeed = rnd() < 0.5;
      await traffic(40, pick([ADMIN, userSecret]));
      slowFeed = false;
      await check(`r${round} traffic`);

      // 2. staging the 53 MB model from the store to a or b under traffic (paced to about 5 s): some
      // canceled mid-copy, some with the target SIGSTOPped and canceled while it cannot answer; afterwards
      // the copy or part is removed with DELETE …/nodes/{id} so the next round stages again.
      const target = pick(["soak-a", "soak-b"]);
      const targetNode = nodes.find((n) => n.id === target) as Node;
      const mode = pick(["complete", "cancel", "stop-cancel"] as const);
      const staged = await api(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes: [target], bandwidth_limit_bytes_per_s: 10_000_000 }) });
      const stagedBody: unknown = await staged.json();
      if (staged.status === 202) {
        const { jobs } = StageModelResponseSchema.parse(stagedBody);
        const t = traffic(10, ADMIN);
        await new Promise((r) => setTimeout(r, 300 + rnd() * 1500));
        if (mode === "stop-cancel" && targetNode.worker) {
          quiet = false;
          targetNode.faulted = true;
          process.kill(targetNode.worker.pid, "SIGSTOP");
        }
        if (mode !== "complete") for (const j of jobs) await api(`/v2/catalog/jobs/${j.job_id}/cancel`, { method: "POST", signal: AbortSignal.timeout(30_000) });
        if (mode === "stop-cancel" && targetNode.worker) {
          await new Promise((r) => setTimeout(r, 2500));
          process.kill(targetNode.worker.pid, "SIGCONT");
          await waitFor(listNodes, (ns) => ns.some((x) => x.node_id === target && x.status === "Online"), 30_000, 100).catch(() => violate(`r${round}: ${target} not Online after SIGCONT`));
          targetNode.faulted = false;
          quiet = true;
        }
        for (const j of jobs) {
          const end = await waitFor(async () => StagingJobSchema.parse(await (await api(`/v2/catalog/jobs/${j.job_id}`)).json()), (x) => ["completed", "failed", "canceled"].includes(x.state), 60_000, 100).catch(() => null);
          if (end === null) violate(`r${round}: staging job ${j.job_id} never ended`);
          else console.log(`[soak] r${round} stage big -> ${target} (${mode}): ${end.state} ${end.error ?? ""} bytes_done ${end.bytes_done}`);
        }
        await t;
        await check(`r${round} staging (${mode})`);
        const removed = await api(`/v2/catalog/models/${BIG}/nodes/${target}`, { method: "DELETE" });
        if (removed.status >= 300 && removed.status !== 404) console.log(`[soak] remove big from ${target}: ${removed.status} ${await removed.text()}`);
        await new Promise((r) => setTimeout(r, 1500));
      } else console.log(`[soak] stage ${target}: ${staged.status} ${JSON.stringify(stagedBody)}`);
      await check(`r${round} staging cleanup`);

      // 3. hub pulls: a good one, a dropped one (resumes), a lying one, a stalled one deleted.
      const pulls: string[] = [];
      const pullOne = async (body: Record<string, unknown>) => {
        const res = await api("/v2/catalog/pull", { method: "POST", body: JSON.stringify(body) });
        if (res.status !== 202) return void console.log(`[soak] pull ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
        pulls.push(HubPullSchema.parse(await res.json()).pull_id);
      };
      if (rnd() < 0.5) {
        hub.announce = "0".repeat(64);
        await pullOne({ ref: "hf://acme/tiny-GGUF/tiny.gguf", nodes: [pick(["soak-a", "soak-b"])] });
        const lying = pulls.at(-1);
        if (lying !== undefined) await waitFor(async () => HubPullSchema.parse(await (await api(`/v2/catalog/pulls/${lying}`)).json()), (x) => x.finished_at_ms !== null, 30_000, 50).catch(() => undefined);
        hub.announce = null;
      }
      hub.dropNextAfter = rnd() < 0.5 ? 20_000 : null;
      await pullOne({ ref: "hf://acme/tiny-GGUF/tiny-b.gguf", nodes: [pick(["soak-a", "soak-b"])] });
      await pullOne({ ref: stallUrl });
      const stalled = pulls.at(-1);
      await new Promise((r) => setTimeout(r, 1500));
      if (stalled !== undefined) {
        const del = await api(`/v2/catalog/pulls/${stalled}`, { method: "DELETE" });
        if (del.status !== 200) violate(`r${round}: DELETE of a stalled pull answered ${del.status} ${await del.text()}`);
      }
      for (const id of pulls) {
        const p = await waitFor(async () => HubPullSchema.parse(await (await api(`/v2/catalog/pulls/${id}`)).json()), (x) => x.finished_at_ms !== null, 60_000, 100).catch(() => null);
        if (p === null) violate(`r${round}: pull ${id} never finished`);
        else console.log(`[soak] r${round} pull ${p.ref}: ${p.state} ${p.error ?? ""} resumes ${p.resumes}`);
      }
      // A canceled pull keeps its part (docs/MODEL_STAGING.md) and says so (bytes_done); a second DELETE removes it.
      const storeParts = async () => (await readdir(join(dataDir, "models")).catch(() => [] as string[])).filter((f) => f.endsWith(".part"));
      const kept = (await storeParts()).length;
      let keptByPulls = 0;
      for (const id of pulls) {
        const p = HubPullSchema.parse(await (await api(`/v2/catalog/pulls/${id}`)).json());
        if ((p.state === "canceled" || p.state === "failed") && p.bytes_done > 0) {
          keptByPulls++;
          const del = await api(`/v2/catalog/pulls/${id}`, { method: "DELETE" });
          if (del.status !== 200) violate(`r${round}: second DELETE of ${p.state} pull ${id} answered ${del.status} ${await del.text()}`);
        }
      }
      if (kept > keptByPulls) violate(`r${round}: store holds ${kept} parts, pulls account for ${keptByPulls}`);
      const left = await storeParts();
      if (left.length > 0) violate(`r${round}: store holds ${left.join(",")} after every pull ended and was deleted`);
      await check(`r${round} pulls`);

      quiet = false;
      // 4. keys: revoke the user key mid-traffic and the key worker c runs on; c then comes back on a new key.
      const t4 = traffic(20, userSecret);
      await new Promise((r) => setTimeout(r, 500));
      await api(`/v2/auth/keys/${userKey.id}`, { method: "DELETE" });
      const replacement = await createKey(`user-${round + 1}`, ["inference"]);
      userSecret = replacement.key;
      Object.assign(userKey, { id: replacement.id });
      const c = nodes[2] as Node;
      c.faulted = true;
      await api(`/v2/auth/keys/${workerKey.id}`, { method: "DELETE" });
      await t4;
      await c.worker?.kill("SIGTERM");
      // Its id stays bound to the revoked key (docs/SECURITY.md): an admin forgets it before the new key registers it.
      const forgot = await api(`/v2/nodes/${c.id}/forget`, { method: "POST" });
      if (!forgot.ok) violate(`r${round}: forget ${c.id} answered ${forgot.status} ${await forgot.text()}`);
      workerKey = await createKey(`worker-c-${round}`, ["worker"]);
      c.token = workerKey.key;
      await startNode(c);
      await waitFor(listNodes, (ns) => ns.some((x) => x.node_id === c.id && x.status === "Online"), 30_000, 100).catch(() => violate(`r${round}: c never came back on its new key`));
      await check(`r${round} keys`);

      // 5. worker faults: a SIGSTOPped for 3 s under traffic, b SIGKILLed and restarted.
      const a = nodes[0] as Node;
      const b = nodes[1] as Node;
      a.faulted = true;
      b.faulted = true;
      const t5 = traffic(20, ADMIN);
      if (a.worker) process.kill(a.worker.pid, "SIGSTOP");
      const bEngines = enginePids(b.worker);
      await b.worker?.kill("SIGKILL");
      // A SIGKILLed agent's engine processes must not outlive it.
      await waitFor(async () => bEngines.filter(alive), (left) => left.length === 0, 15_000, 200).catch(() => violate(`r${round}: engine processes ${bEngines.filter(alive).join(",")} outlived their SIGKILLed agent`));
      await new Promise((r) => setTimeout(r, 3000));
      if (a.worker) process.kill(a.worker.pid, "SIGCONT");
      await startNode(b);
      a.faulted = false;
      await t5;
      await waitFor(listNodes, (ns) => nodes.every((n) => ns.some((x) => x.node_id === n.id && x.status === "Online")), 30_000, 100).catch(() => violate(`r${round}: nodes not all Online after worker faults`));
      await check(`r${round} worker faults`);

      // 6. the orchestrator SIGKILLed under traffic and restarted on the same data dir.
      // Half the time a staging job is mid-copy when it dies: the restart resumes it.
      const stageTarget = pick(["soak-a", "soak-b"]);
      const inFlight = rnd() < 0.5 ? await api(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes: [stageTarget], bandwidth_limit_bytes_per_s: 10_000_000 }) }) : null;
      const inFlightJobs = inFlight?.status === 202 ? StageModelResponseSchema.parse(await inFlight.json()).jobs : [];
      const t6 = traffic(20, ADMIN);
      await new Promise((r) => setTimeout(r, 400 + rnd() * 800));
      await orch?.kill("SIGKILL");
      await startOrch().catch((e: unknown) => violate(`r${round}: restart refused: ${(e as Error).message.slice(0, 400)}`));
      await t6;
      for (const j of inFlightJobs) {
        const end = await waitFor(async () => StagingJobSchema.parse(await (await api(`/v2/catalog/jobs/${j.job_id}`)).json()), (x) => ["completed", "failed", "canceled"].includes(x.state), 90_000, 200).catch(() => null);
        if (end === null) violate(`r${round}: staging job ${j.job_id} resumed after the restart never ended`);
        else {
          console.log(`[soak] r${round} stage big -> ${stageTarget} across the orchestrator kill: ${end.state} ${end.error ?? ""} bytes_done ${end.bytes_done} transferred ${end.bytes_transferred}`);
          // The target held no part (the last round removed it): a completed copy moved the whole file.
          if (end.state === "completed" && end.bytes_transferred < end.size_bytes) violate(`r${round}: job ${end.job_id} completed a whole copy across the kill but counts ${end.bytes_transferred} of ${end.size_bytes} bytes`);
        }
      }
      await waitFor(listNodes, (ns) => nodes.every((n) => ns.some((x) => x.node_id === n.id && x.status === "Online")), 30_000, 200).catch(() => violate(`r${round}: nodes not all Online after the orchestrator restart`));
      await check(`r${round} orchestrator restart`);
      if (inFlightJobs.length > 0) {
        await api(`/v2/catalog/models/${BIG}/nodes/${stageTarget}`, { method: "DELETE" });
        await new Promise((r) => setTimeout(r, 1500));
        await check(`r${round} cleanup`);
      }
    }
    stopFeed = true;
    await Promise.race([feed, new Promise((r) => setTimeout(r, 5000))]);
    // No leaked processes: every worker pid we started is either alive and ours or gone.
    for (const n of nodes) if (n.worker && !existsSync(`/proc/${n.worker.pid}`)) violate(`worker ${n.id} pid ${n.worker.pid} died unasked`);
    console.log(`[soak] rss kB per check: ${rss.join(" ")}`);
    console.log(`[soak] first error bodies: ${JSON.stringify(Object.fromEntries(firstBody))}`);
    expect(violations).toEqual([]);
  }, 1_200_000);
});

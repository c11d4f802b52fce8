import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskListResponseSchema, TaskStatusSchema, type TaskStatus } from "../../src-shared/tasks/task-status.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { startOtlpReceiver, type OtlpReceiver } from "../../test-support/otlp-receiver.js";
import { followTaskEvents } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";

// Rescue: a real orchestrator, two real workers running llama.cpp on the generated `medium` model.
// A worker that dies mid-generation (its node SIGKILLed, or its engine) must not cost a client that
// has not received a token yet: the orchestrator discards the partial output and runs the task again,
// and the client gets the same full answer (temperature 0). A client that already received tokens
// gets one clear terminal error. The only holder failing makes the task wait for it to come back;
// bounded attempts end a task whose every attempt fails.
const MEDIUM = testModelName("medium");
const PROMPT = "Once upon a time, in a cluster far away,";
const MAX_TOKENS = 400;
let orch: TestOrchestrator;
let receiver: OtlpReceiver;
const workers = new Map<string, WorkerProcess>();

interface Completion {
  status: number;
  taskId: string | null;
  body: { choices?: { text: string; finish_reason: string }[]; usage?: { completion_tokens: number; prompt_tokens: number }; error?: { code: string; message: string } };
}

async function complete(extraHeaders: Record<string, string> = {}): Promise<Completion> {
  const res = await orch.api("/v1/completions", { method: "POST", headers: extraHeaders, body: JSON.stringify({ model: MEDIUM, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0 }) });
  return { status: res.status, taskId: res.headers.get("x-task-id"), body: (await res.json()) as Completion["body"] };
}

async function running(): Promise<TaskStatus[]> {
  return TaskListResponseSchema.parse(await (await orch.api("/v2/tasks?state=running")).json()).tasks;
}

/** The one running task once it has produced `n` tokens in its current attempt (polled; bounded). */
async function runningWithTokens(n: number, attempts = 1): Promise<TaskStatus> {
  return waitFor(`a running task with ${n} tokens on attempt ${attempts}`, async () => (await running()).find((t) => t.tokens_out >= n && t.attempts === attempts), 60_000, 20);
}

async function status(taskId: string): Promise<TaskStatus> {
  return TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${taskId}`)).json());
}

async function readyPool(nodeId: string): Promise<string | undefined> {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  const node = nodes.find((n) => n.node_id === nodeId && n.status === "Online");
  return node?.pools.find((p) => p.ready)?.pool_id;
}

/** The engine child of a node's pool, from the worker's diagnostics. */
async function enginePid(nodeId: string): Promise<number> {
  const worker = workers.get(nodeId) as WorkerProcess;
  // After a crash the orchestrator may still list the pool as ready for a moment: wait for an engine.
  return waitFor(`an engine serving a ready pool on ${nodeId}`, async () => {
    const pool = await readyPool(nodeId);
    if (pool === undefined) return undefined;
    const res = await fetch(`${worker.address}/v2/pools/${pool}/diagnostics`, { headers: { authorization: `Bearer ${orch.token}` } });
    return ((await res.json()) as { engine_pid: number | null }).engine_pid;
  }, 60_000);
}

async function rescuedCount(): Promise<number> {
  const text = await (await orch.api("/metrics")).text();
  const line = text.split("\n").find((l) => /^\S*tasks_rescued_total /.test(l));
  return Number(line?.split(" ")[1] ?? NaN);
}

let reference: Completion;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 1000, node_timeout_ms: 4000, otel_exporter_otlp_endpoint: receiver.url });
  for (const w of await Promise.all(["rescue-a", "rescue-b"].map((nodeId) => startWorkerProcess({ nodeId, models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 1, startTimeoutMs: 60_000, config: { supervisor: { initial_backoff_ms: 300, max_backoff_ms: 1000, stable_after_ms: 1000, max_consecutive_failures: 50, max_restarts_in_window: 50 } } })))) workers.set(w.nodeId, w);
  await waitFor("both nodes ready", async () => (await readyPool("rescue-a")) !== undefined && (await readyPool("rescue-b")) !== undefined, 60_000);
  // The answer nothing disturbed: what every rescued request must give back, word for word.
  reference = await complete();
  expect(reference.status).toBe(200);
  expect(reference.body.usage?.completion_tokens).toBe(MAX_TOKENS);
}, 120_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.kill("SIGKILL")));
  await orch?.close();
  await receiver?.close();
});

describe("rescue of tasks whose worker fails mid-generation", () => {
  it("a non-streamed request survives the SIGKILL of its node mid-generation with the full, identical answer", async () => {
    const before = await rescuedCount();
    const pending = complete({ "idempotency-key": "rescue-node-death" });
    const victim = await runningWithTokens(5);
    const node = victim.node_id as string;
    process.kill((workers.get(node) as WorkerProcess).pid, "SIGKILL");
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.body.choices?.[0]?.text).toBe(reference.body.choices?.[0]?.text);
    // Usage counts the attempt that answered, not the discarded one.
    expect(answer.body.usage).toEqual(reference.body.usage);
    const after = await status(answer.taskId as string);
    expect(after).toMatchObject({ state: "completed", rescues: 1, attempts: 2, tokens_out: MAX_TOKENS });
    expect(after.node_id).not.toBe(node);
    expect(await rescuedCount()).toBe(before + 1);
    // The task's own stream: one rescue narrated, then tokens 0..N-1 once each (none of the discarded ones), one terminal event.
    const events = (await followTaskEvents(orch.url, orch.token, answer.taskId as string, true).done).map((e) => e.event);
    const rescue = events.filter((e) => e.event === "metrics" && (e.data as { phase?: string }).phase === "rescuing");
    expect(rescue).toHaveLength(1);
    expect((rescue[0]?.data as { human?: string }).human).toContain(node);
    const tokens = events.filter((e) => e.event === "token");
    expect(tokens.map((e) => e.event === "token" && e.data.i)).toEqual([...Array(MAX_TOKENS).keys()]);
    expect(tokens.map((e) => (e.event === "token" ? e.data.t : "")).join("")).toBe(reference.body.choices?.[0]?.text);
    expect(events.filter((e) => e.event === "end" || e.event === "error")).toHaveLength(1);
    expect(events.at(-1)?.event).toBe("end");
    // The trace: the failed attempt's span ends as RESCUED with the discarded count, then the task queues and runs again.
    const attempts = await waitFor("both worker.infer spans of the rescued task", () => {
      const spans = receiver.spans.filter((x) => x.name === "worker.infer" && x.attributes["llorch.task_id"] === answer.taskId);
      return spans.length === 2 ? spans.sort((x, y) => Number(x.startNs - y.startNs)) : null;
    }, 20_000);
    expect(attempts[0]).toMatchObject({ statusCode: 2, attributes: { "llorch.node_id": node } });
    expect(attempts[0]?.attributes["llorch.tokens_discarded"]).toBeGreaterThanOrEqual(5);
    expect(attempts[1]).toMatchObject({ statusCode: 0, attributes: { "gen_ai.usage.output_tokens": MAX_TOKENS } });
    expect(receiver.spans.some((x) => x.name === "queue.wait" && x.traceId === attempts[0]?.traceId && x.attributes["llorch.rescue"] === true)).toBe(true);
    workers.delete(node);
  }, 120_000);

  it("a streamed request whose client already received tokens gets exactly one clear error when the engine dies", async () => {
    const [node] = [...workers.keys()] as [string];
    const pid = await enginePid(node);
    const res = await orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: MEDIUM, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0, stream: true }) });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let raw = "";
    let killed = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      raw += decoder.decode(value, { stream: true });
      if (!killed && raw.includes('"text"')) {
        killed = true;
        process.kill(pid, "SIGKILL");
      }
    }
    const frames = raw.split("\n\n").filter((f) => f.startsWith("data: ")).map((f) => f.slice("data: ".length));
    expect(frames).not.toContain("[DONE]");
    const errors = frames.filter((f) => f.includes('"error"'));
    expect(errors).toHaveLength(1);
    expect(frames.at(-1)).toBe(errors[0]);
    const error = (JSON.parse(errors[0] as string) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("ENGINE_CRASHED");
    expect(error.message).toContain("reached the client");
    const sent = frames.slice(0, -1).map((f) => (JSON.parse(f) as { choices: { text: string }[] }).choices[0]?.text ?? "").join("");
    expect(sent.length).toBeGreaterThan(0);
    expect(reference.body.choices?.[0]?.text.startsWith(sent)).toBe(true);
  }, 120_000);

  it("when the only holder's engine dies, a non-streamed request waits for it to restart and still gets the full answer", async () => {
    const [node] = [...workers.keys()] as [string];
    const pid = await enginePid(node);
    const before = await rescuedCount();
    const pending = complete();
    await runningWithTokens(5);
    process.kill(pid, "SIGKILL");
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.body.choices?.[0]?.text).toBe(reference.body.choices?.[0]?.text);
    expect(await status(answer.taskId as string)).toMatchObject({ state: "completed", rescues: 1, node_id: node, tokens_out: MAX_TOKENS });
    expect(await rescuedCount()).toBe(before + 1);
  }, 120_000);

  it("a request that arrives while the only holder's engine restarts is queued for it, not refused", async () => {
    const [node] = [...workers.keys()] as [string];
    const pid = await enginePid(node);
    process.kill(pid, "SIGKILL");
    // The orchestrator knows the pool is down (its crash as last_error, restarting): admission answered
    // a retriable 503 here; the restart is on its way (heartbeats carry the pool's state), so the
    // request waits in the queue for it instead.
    await waitFor(`the orchestrator sees ${node}'s pool restart`, async () => (await readyPool(node)) === undefined, 30_000, 10);
    const answer = await complete();
    expect(answer.status).toBe(200);
    expect(answer.body.choices?.[0]?.text).toBe(reference.body.choices?.[0]?.text);
  }, 120_000);

  it("a cancel while the rescued task waits for its node ends it canceled, and it never runs again", async () => {
    const [node] = [...workers.keys()] as [string];
    const pid = await enginePid(node);
    const pending = complete();
    const victim = await runningWithTokens(5);
    process.kill(pid, "SIGKILL");
    await waitFor("the rescued task back in the queue", async () => (await status(victim.task_id)).rescues === 1 && (await status(victim.task_id)).state === "queued", 30_000, 10);
    expect((await orch.api(`/v2/tasks/${victim.task_id}/cancel`, { method: "POST" })).status).toBe(204);
    const answer = await pending;
    expect(answer.status).toBe(499);
    expect(answer.body.error?.code).toBe("CANCELED");
    // The node comes back and is idle: the canceled task was not dispatched again.
    await enginePid(node);
    await new Promise((r) => setTimeout(r, 500));
    expect(await status(victim.task_id)).toMatchObject({ state: "canceled", attempts: 1, rescues: 1, tokens_out: 0 });
  }, 120_000);

  it("attempts are bounded: an engine that dies on every attempt ends the request with one clear error after its rescue", async () => {
    const [node] = [...workers.keys()] as [string];
    const pid = await enginePid(node);
    const pending = complete();
    await runningWithTokens(5);
    process.kill(pid, "SIGKILL");
    const second = await waitFor("the rescued attempt producing tokens", async () => (await running()).find((t) => t.tokens_out >= 5 && (t.rescues ?? 0) === 1), 60_000, 20);
    process.kill(await enginePid(node), "SIGKILL");
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe("ENGINE_CRASHED");
    expect(answer.body.error?.message).toContain("rescue attempt");
    expect(await status(second.task_id)).toMatchObject({ state: "failed", rescues: 1 });
  }, 150_000);

  it("a request whose every holder dies fails cleanly once none is left", async () => {
    const [node] = [...workers.keys()] as [string];
    await enginePid(node);
    const pending = complete();
    await runningWithTokens(5);
    process.kill((workers.get(node) as WorkerProcess).pid, "SIGKILL");
    workers.delete(node);
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(["REPLICA_EXHAUSTED", "MODEL_NOT_AVAILABLE"]).toContain(answer.body.error?.code);
    const after = await status(answer.taskId as string);
    expect(after).toMatchObject({ state: "failed", rescues: 1 });
  }, 120_000);

  it("after a restart, the rescued request's replay (same Idempotency-Key) is the answer, without the discarded tokens", async () => {
    await orch.restart();
    const replay = await complete({ "idempotency-key": "rescue-node-death" });
    expect(replay.status).toBe(200);
    expect(replay.body.choices?.[0]?.text).toBe(reference.body.choices?.[0]?.text);
    expect(replay.body.usage).toEqual(reference.body.usage);
  }, 60_000);
});

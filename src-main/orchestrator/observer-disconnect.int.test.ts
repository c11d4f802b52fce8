import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { SseEvent } from "../../src-shared/streaming/sse-events.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal, type TimedEvent } from "../../test-support/sse-client.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// Observers never cancel (issue 14, item 6): a second reader of GET /v2/tasks/{id}/events that goes
// away leaves the task running; only the client that owns the task cancels it by hanging up (the
// last /v2 reader of an unkeyed /v2 task, or the /v1 connection that created a compatible task).
const MEDIUM = testModelName("medium");
const MAX_TOKENS = 400;
let orch: TestOrchestrator;
let worker: WorkerProcess;

beforeAll(async () => {
  orch = await startTestOrchestrator();
  worker = await startWorkerProcess({ nodeId: "observer-node", models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 2 });
  await waitFor("a ready pool", async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.some((n) => n.status === "Online" && n.pools.some((p) => p.ready)), 60_000);
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
});

const status = async (id: string) => TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json());
const tokensOf = (events: TimedEvent[]) => events.map((e) => e.event).filter((e): e is Extract<SseEvent, { event: "token" }> => e.event === "token").map((e) => e.data);
const terminals = (events: TimedEvent[]) => events.filter((e) => e.event.event === "end" || e.event.event === "error").length;

/** Starts a streaming /v1 chat completion and returns its task id and a reader of its body. */
async function v1Stream(headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${orch.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${orch.token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: MAX_TOKENS, temperature: 0, stream: true }),
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const taskId = res.headers.get("x-task-id") ?? "";
  const body = res.body;
  if (body === null) throw new Error("no body");
  let text = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    return text;
  })();
  return { taskId, done, text: () => text, abort: () => controller.abort() };
}

describe("a second reader of a task's event stream", () => {
  it("disconnecting mid-stream leaves the task running: the first reader gets every token and exactly one terminal event", async () => {
    const body = taskRequest(MEDIUM, { ctx: 4096, prompt: "Once upon a time", max_tokens: MAX_TOKENS, temperature: 0, deadline_ms: 120_000 });
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    const taskId = body.task_id as string;
    const first = followTaskEvents(orch.url, orch.token, taskId);
    const observer = followTaskEvents(orch.url, orch.token, taskId);
    await observer.tokens(5);
    observer.abort();
    await observer.done;
    const observedTokens = tokensOf(observer.events).length;
    expect(observedTokens).toBeLessThan(MAX_TOKENS);

    const events = await first.done;
    const end = terminal(events);
    expect(end?.event).toBe("end");
    expect(end?.event === "end" && end.data.canceled).not.toBe(true);
    expect(terminals(events)).toBe(1);
    expect(events.at(-1)?.event).toBe(end);
    const tokens = tokensOf(events);
    // Every token, in order, none missing: indices 0..n-1 and the same stream a later reader replays.
    expect(tokens.map((t) => t.i)).toEqual(tokens.map((_, i) => i));
    expect(tokens.length).toBeGreaterThan(observedTokens);
    const replay = await followTaskEvents(orch.url, orch.token, taskId).done;
    expect(tokensOf(replay)).toEqual(tokens);
    expect((await status(taskId)).state).toBe("completed");
  }, 120_000);

  it("an observer of a /v1 task that disconnects does not cancel it; the /v1 client that created it does", async () => {
    const kept = await v1Stream();
    const observer = followTaskEvents(orch.url, orch.token, kept.taskId);
    await observer.tokens(5);
    observer.abort();
    await observer.done;
    const text = await kept.done;
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect((await status(kept.taskId)).state).toBe("completed");

    const dropped = await v1Stream();
    const watcher = followTaskEvents(orch.url, orch.token, dropped.taskId);
    await watcher.tokens(5);
    dropped.abort();
    // The owner went away: its own work is canceled, and the observer sees that as the one terminal event.
    const seen = await watcher.done;
    const end = terminal(seen);
    expect(end?.event === "end" && end.data.canceled).toBe(true);
    expect(terminals(seen)).toBe(1);
    expect((await status(dropped.taskId)).state).toBe("canceled");
  }, 120_000);

  it("an observer of a keyed /v1 task whose client hung up does not cancel it (the task waits for its retry)", async () => {
    const keyed = await v1Stream({ "idempotency-key": `observer-${randomUUID()}` });
    const observer = followTaskEvents(orch.url, orch.token, keyed.taskId);
    await observer.tokens(3);
    keyed.abort();
    // Now the observer is the task's only reader; its going away must not cancel the task.
    await observer.tokens(6);
    observer.abort();
    await observer.done;
    await waitFor("the keyed task finished", async () => ["completed", "failed", "canceled"].includes((await status(keyed.taskId)).state), 60_000);
    expect((await status(keyed.taskId)).state).toBe("completed");
  }, 120_000);
});

describe("a reader resuming with a Last-Event-ID ahead of the stream", () => {
  it("gets nothing it has, and its stream closes when the task ends (it stayed open for good)", async () => {
    const body = taskRequest(MEDIUM, { ctx: 4096, prompt: "Once upon a time", max_tokens: 800, temperature: 0, deadline_ms: 120_000 });
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    const taskId = body.task_id as string;
    // The id of the stream's first event, with an index far past its end (a client's bad bookkeeping).
    const first = await fetch(`${orch.url}/v2/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${orch.token}` } });
    const reader = first.body?.getReader();
    // Kept open to the end: the owner's hang-up would cancel the task.
    const opening = new TextDecoder().decode((await reader?.read())?.value);
    const boot = /id: ([0-9a-f]{8})\./.exec(opening)?.[1];
    expect(boot).toBeDefined();
    // Asked while the task runs (a finished task's stream closes at once anyway), both at once.
    expect((await status(taskId)).state).toMatch(/queued|dispatching|running/);
    const resumed = [`${boot}.99999`, `${boot}.99999999999`].map(async (ahead) => {
      const res = await fetch(`${orch.url}/v2/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${orch.token}`, "last-event-id": ahead }, signal: AbortSignal.timeout(60_000) });
      expect(res.status).toBe(200);
      // Ends by itself: the text resolves once the server closes the stream.
      return res.text();
    });
    for (const text of await Promise.all(resumed)) expect(text).not.toContain("event: token");
    expect((await status(taskId)).state).toBe("completed");
    await reader?.cancel();
  }, 120_000);
});

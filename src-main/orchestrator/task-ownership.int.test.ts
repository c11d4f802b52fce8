import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";

// One client's inference key must not read, follow, list or cancel another client's tasks (their
// prompts' answers): a task belongs to the credential that admitted it; admin and read keys see all.
const TINY = testModelName("tiny");
let watcher: string;
let cluster: CompatCluster;
let alice: string;
let bob: string;
let monitor: string;

async function createKey(name: string, scopes: string[]): Promise<string> {
  const res = await cluster.orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

function as(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${cluster.orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { "content-type": "application/json" } : {}) } });
}

async function submit(key: string, maxTokens: number, sessionId: string = crypto.randomUUID()): Promise<string> {
  const taskId = crypto.randomUUID();
  const res = await as(key, "/v2/tasks", {
    method: "POST",
    body: JSON.stringify({ task_id: taskId, session_id: sessionId, workload: "completion", model_ref: TINY, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Once upon a time", max_tokens: maxTokens, deadline_ms: 60_000 }),
  });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return taskId;
}

async function listed(key: string): Promise<string[]> {
  const res = await as(key, "/v2/tasks");
  expect(res.status).toBe(200);
  return ((await res.json()) as { tasks: { task_id: string }[] }).tasks.map((t) => t.task_id);
}

async function state(key: string, taskId: string): Promise<string> {
  return ((await (await as(key, `/v2/tasks/${taskId}`)).json()) as { state: string }).state;
}

beforeAll(async () => {
  cluster = await startCompatCluster("node-owner", ["tiny"]);
  alice = await createKey("alice", ["inference"]);
  bob = await createKey("bob", ["inference"]);
  monitor = await createKey("monitor", ["read"]);
  watcher = await createKey("watcher", ["inference", "read"]);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe("task ownership", () => {
  it("another inference key gets 404 for a task's status, events and cancel, and does not list it; its owner, read and admin keys do", async () => {
    const done = await submit(alice, 4);
    await waitFor(`done completed`, async () => (await state(alice, done)) === "completed", 20_000);
    // A chat completion's task too (the compatible surfaces admit through the same path).
    const chat = await as(alice, "/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 3 }) });
    expect(chat.status).toBe(200);
    const chatTask = ((await chat.json()) as { id: string }).id.replace(/^chatcmpl-/, "");

    for (const id of [done, chatTask]) {
      for (const path of [`/v2/tasks/${id}`, `/v2/tasks/${id}/events`]) {
        const res = await as(bob, path);
        expect(res.status, path).toBe(404);
        expect(await res.json()).toMatchObject({ code: "TASK_NOT_FOUND", message: `no task ${id}` });
      }
      expect((await as(alice, `/v2/tasks/${id}`)).status).toBe(200);
      expect((await as(monitor, `/v2/tasks/${id}`)).status).toBe(200);
      expect((await cluster.orch.api(`/v2/tasks/${id}`)).status).toBe(200);
    }
    // Alice's own stream replays her tokens; Bob's list has none of her tasks, Alice's and the monitor's have both.
    expect(await (await as(alice, `/v2/tasks/${done}/events`)).text()).toContain("event: end");
    expect(await listed(bob)).not.toEqual(expect.arrayContaining([done]));
    expect(await listed(bob)).not.toContain(chatTask);
    expect(await listed(alice)).toEqual(expect.arrayContaining([done, chatTask]));
    expect(await listed(monitor)).toEqual(expect.arrayContaining([done, chatTask]));
  });

  it("another key cannot cancel a task (404, the task runs to its end); its owner can", async () => {
    const terminal = (id: string) => waitFor(`${id} ends`, async () => { const st = await state(alice, id); return ["completed", "canceled", "failed"].includes(st) && st; }, 30_000);
    // Bob's cancel goes out at once, while Alice's task is queued or generating: refused, and it runs on.
    const hers = await submit(alice, 400);
    const refused = await as(bob, `/v2/tasks/${hers}/cancel`, { method: "POST" });
    expect(refused.status).toBe(404);
    expect(await terminal(hers)).toBe("completed");
    // Alice's own cancel, just as fast, ends hers.
    const again = await submit(alice, 400);
    expect((await as(alice, `/v2/tasks/${again}/cancel`, { method: "POST" })).status).toBe(204);
    expect(await terminal(again)).toBe("canceled");
  });

  it("seeing every task (read) is not ending them: a read key's cancel is a 403 and its hang-up from the stream cancels nothing; admin may", async () => {
    const terminal = (id: string) => waitFor(`${id} ends`, async () => { const st = await state(alice, id); return ["completed", "canceled", "failed"].includes(st) && st; }, 30_000);
    const hers = await submit(alice, 400);
    expect((await as(monitor, `/v2/tasks/${hers}/cancel`, { method: "POST" })).status).toBe(403);
    const refused = await as(watcher, `/v2/tasks/${hers}/cancel`, { method: "POST" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain("belongs to another credential");
    // The only reader, a read key, follows and hangs up: Alice never streamed it, and it runs to its end.
    for (const key of [monitor, watcher]) {
      const reader = new AbortController();
      const res = await as(key, `/v2/tasks/${hers}/events`, { signal: reader.signal });
      expect(res.status).toBe(200);
      await res.body?.getReader().read();
      reader.abort();
    }
    expect(await terminal(hers)).toBe("completed");
    const another = await submit(alice, 400);
    expect((await cluster.orch.api(`/v2/tasks/${another}/cancel`, { method: "POST" })).status).toBe(204);
    expect(await terminal(another)).toBe("canceled");
  });

  it("a task id is a UUID in any letter case: one task, not two (RFC 9562 compares them without case)", async () => {
    const id = crypto.randomUUID();
    const body = (taskId: string) => JSON.stringify({ task_id: taskId, session_id: crypto.randomUUID(), workload: "completion", model_ref: TINY, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Once", max_tokens: 2, deadline_ms: 60_000 });
    const first = await as(alice, "/v2/tasks", { method: "POST", body: body(id.toUpperCase()) });
    expect(first.status).toBe(202);
    expect(((await first.json()) as { task_id: string }).task_id).toBe(id);
    expect((await as(alice, "/v2/tasks", { method: "POST", body: body(id) })).status).toBe(409);
    expect((await as(alice, `/v2/tasks/${id.toUpperCase()}`)).status).toBe(200);
    await waitFor("done", async () => (await state(alice, id)) === "completed", 20_000);
    expect(await (await as(alice, `/v2/tasks/${id.toUpperCase()}/events`)).text()).toContain("event: end");
  });

  it("an unknown id and another key's id get the same answer, and ownership (status, events, list) survives a restart", async () => {
    const mine = await submit(alice, 2);
    await waitFor(`mine completed`, async () => (await state(alice, mine)) === "completed", 20_000);
    const unknown = crypto.randomUUID();
    const [foreign, missing] = await Promise.all([as(bob, `/v2/tasks/${mine}`), as(bob, `/v2/tasks/${unknown}`)]);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(((await foreign.json()) as { code: string }).code).toBe(((await missing.json()) as { code: string }).code);

    await cluster.orch.restart();
    // From the journal now: still Alice's only.
    expect((await as(bob, `/v2/tasks/${mine}`)).status).toBe(404);
    expect((await as(bob, `/v2/tasks/${mine}/events`)).status).toBe(404);
    expect((await as(alice, `/v2/tasks/${mine}`)).status).toBe(200);
    expect(await (await as(alice, `/v2/tasks/${mine}/events`)).text()).toContain("event: end");
    // The list after the restart comes from the journal too: Alice's and the monitor's have it, Bob's not.
    expect(await listed(alice)).toContain(mine);
    expect(await listed(monitor)).toContain(mine);
    expect(await listed(bob)).not.toContain(mine);
  });

  it("a session belongs to the key that started it: another key using the same session id gets its own session, and 404 for the other's", async () => {
    const chat = crypto.randomUUID();
    // After the restart above, the node re-registers first: wait for the model to be served again.
    await waitFor("the node's pool ready again", async () => {
      const { nodes } = (await (await cluster.orch.api("/v2/nodes")).json()) as { nodes: { status: string; pools: { ready: boolean }[] }[] };
      return nodes.some((n) => n.status === "Online" && n.pools.some((p) => p.ready));
    }, 30_000);
    const first = await submit(alice, 2, chat);
    await waitFor(`first completed`, async () => (await state(alice, first)) === "completed", 20_000);
    const hers = await as(alice, `/v2/sessions/${chat}`);
    expect(hers.status).toBe(200);
    expect(await hers.json()).toMatchObject({ turns: 1 });
    // Bob guesses (or reuses) the id: he cannot read or evict Alice's session...
    for (const init of [{}, { method: "DELETE" }]) {
      const res = await as(bob, `/v2/sessions/${chat}`, init);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("SESSION_NOT_FOUND");
    }
    // ...and his task naming it starts a session of his own: Alice's turns and affinity are untouched.
    const his = await submit(bob, 2, chat);
    await waitFor(`his completed`, async () => (await state(bob, his)) === "completed", 20_000);
    expect(await (await as(bob, `/v2/sessions/${chat}`)).json()).toMatchObject({ turns: 1 });
    expect(await (await as(alice, `/v2/sessions/${chat}`)).json()).toMatchObject({ turns: 1 });
    // A read key finds a session of that id; the admin can evict one; Bob's own delete takes only his.
    expect((await as(monitor, `/v2/sessions/${chat}`)).status).toBe(200);
    expect((await as(bob, `/v2/sessions/${chat}`, { method: "DELETE" })).status).toBe(204);
    expect((await as(bob, `/v2/sessions/${chat}`)).status).toBe(404);
    expect((await as(alice, `/v2/sessions/${chat}`)).status).toBe(200);
    expect((await cluster.orch.api(`/v2/sessions/${chat}`, { method: "DELETE" })).status).toBe(204);
    expect((await as(alice, `/v2/sessions/${chat}`)).status).toBe(404);
  });
});

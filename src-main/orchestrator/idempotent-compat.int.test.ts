import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdmissionResponseV2Schema } from "../../src-shared/tasks/admission.js";
import { TaskListResponseSchema } from "../../src-shared/tasks/task-status.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { testModelName } from "../../test-support/models.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";

// Idempotency-Key on the compatible surfaces: a retry follows the first task instead of running a second one.
const TINY = testModelName("tiny");
let cluster: CompatCluster;
let client: OpenAI;
/** What the first runs answered, to compare with what the retries after the restart replay. */
const firstRun: { chat?: string | null | undefined; stream?: string; message?: unknown; generate?: string } = {};

beforeAll(async () => {
  cluster = await startCompatCluster("node-idem", ["tiny"]);
  client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const taskIds = async (): Promise<string[]> => TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks")).json()).tasks.map((t) => t.task_id);
const post = (path: string, body: unknown, key: string) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body), headers: { "idempotency-key": key } });
const chat = { model: TINY, messages: [{ role: "user" as const, content: "Count to twenty" }], max_tokens: 24 };

async function streamText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  return text;
}

describe("Idempotency-Key on /v1 and the other compatible surfaces", () => {
  it("two OpenAI chat requests with one key (the official client, header per request: its idempotencyKey option is a no-op for OpenAI): one task, identical outputs", async () => {
    const before = await taskIds();
    const [a, b] = await Promise.all([
      client.chat.completions.create(chat, { headers: { "Idempotency-Key": "chat-1" } }).withResponse(),
      client.chat.completions.create(chat, { headers: { "Idempotency-Key": "chat-1" } }).withResponse(),
    ]);
    expect(a.data.choices[0]?.message.content).toBe(b.data.choices[0]?.message.content);
    firstRun.chat = a.data.choices[0]?.message.content;
    expect(a.data.usage?.completion_tokens).toBe(24);
    expect(a.response.headers.get("x-task-id")).toBe(b.response.headers.get("x-task-id"));
    const added = (await taskIds()).filter((id) => !before.includes(id));
    expect(added).toEqual([a.response.headers.get("x-task-id")]);
    // A later retry, after the task finished, replays it too.
    const c = await client.chat.completions.create(chat, { headers: { "Idempotency-Key": "chat-1" } }).withResponse();
    expect(c.response.headers.get("idempotent-replayed")).toBe("true");
    expect(c.data.choices[0]?.message.content).toBe(a.data.choices[0]?.message.content);
    expect((await taskIds()).length).toBe(before.length + 1);
  });

  it("a streamed retry after the first client hung up mid-stream gets the whole output of the one task", async () => {
    const before = await taskIds();
    const abort = new AbortController();
    const first = await client.chat.completions.create({ ...chat, max_tokens: 60, stream: true }, { headers: { "Idempotency-Key": "stream-1" }, signal: abort.signal });
    for await (const chunk of first) if ((chunk.choices[0]?.delta.content ?? "") !== "") break; // hangs up after the first token
    abort.abort();
    const retry = await streamText(await client.chat.completions.create({ ...chat, max_tokens: 60, stream: true }, { headers: { "Idempotency-Key": "stream-1" } }));
    const again = await client.chat.completions.create({ ...chat, max_tokens: 60 }, { headers: { "Idempotency-Key": "stream-1" } });
    expect(retry.length).toBeGreaterThan(0);
    firstRun.stream = retry;
    expect(again.choices[0]?.message.content).toBe(retry);
    expect(again.usage?.completion_tokens).toBe(60);
    expect((await taskIds()).length).toBe(before.length + 1);
  });

  it("a key reused for a different request is refused (422 IDEMPOTENCY_KEY_REUSED) on any surface, not answered with the other request's result", async () => {
    const before = await taskIds();
    // Another surface, another prompt, another max_tokens: each a different request with the chat's key.
    const completions = await post("/v1/completions", { model: TINY, prompt: "hi", max_tokens: 2 }, "chat-1");
    expect(completions.status).toBe(422);
    expect(await completions.json()).toMatchObject({ error: { code: "IDEMPOTENCY_KEY_REUSED", type: "invalid_request_error", message: expect.stringMatching(/different request/) } });
    await expect(client.chat.completions.create({ ...chat, messages: [{ role: "user", content: "Something else" }] }, { headers: { "Idempotency-Key": "chat-1" } })).rejects.toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
    await expect(client.chat.completions.create({ ...chat, max_tokens: 25 }, { headers: { "Idempotency-Key": "chat-1" } })).rejects.toMatchObject({ status: 422 });
    const ollama = await post("/api/chat", { model: TINY, messages: chat.messages, stream: false }, "chat-1");
    expect(ollama.status).toBe(422);
    expect(await ollama.json()).toEqual({ error: expect.stringMatching(/different request/) });
    // The same request again, streamed or not, is still its retry.
    const same = await client.chat.completions.create({ ...chat, stream: true }, { headers: { "Idempotency-Key": "chat-1" } });
    expect(await streamText(same)).toBe(firstRun.chat);
    expect((await taskIds()).length).toBe(before.length);
  });

  it("Anthropic messages and Ollama generate: one task per key, identical outputs", async () => {
    const before = await taskIds();
    const anthropic = { model: TINY, max_tokens: 8, messages: [{ role: "user", content: "Say hello" }] };
    const [m1, m2] = await Promise.all([post("/v1/messages", anthropic, "msg-1"), post("/v1/messages", anthropic, "msg-1")]);
    const [b1, b2] = [(await m1.json()) as { content: unknown; id: string }, (await m2.json()) as { content: unknown; id: string }];
    expect(b1.content).toEqual(b2.content);
    firstRun.message = b1.content;
    const ollama = { model: TINY, prompt: "Say hello", stream: false, options: { num_predict: 8 } };
    const o1 = (await (await post("/api/generate", ollama, "gen-1")).json()) as { response: string };
    const o2 = (await (await post("/api/generate", ollama, "gen-1")).json()) as { response: string };
    expect(o2.response).toBe(o1.response);
    firstRun.generate = o1.response;
    expect((await taskIds()).length).toBe(before.length + 2);
  });

  it("a key whose task has left memory (here: an orchestrator restart) replays the first run's result from the journal on every surface and /v2, never a second run", async () => {
    // A keyed /v2 task, run to the end before the restart.
    const v2 = await post("/v2/tasks", taskRequest(TINY, { prompt: "Once upon a time", max_tokens: 12, temperature: 0 }), "v2-1");
    expect(v2.status).toBe(202);
    const v2Id = AdmissionResponseV2Schema.parse(await v2.json()).task_id;
    const v2Events = (await followTaskEvents(cluster.orch.url, cluster.orch.token, v2Id).done).map((e) => e.event);
    expect(terminal(v2Events.map((event) => ({ at: 0, event })))?.event).toBe("end");
    for (const value of Object.values(firstRun)) expect(value).toBeDefined();

    const beforeRestart = (await taskIds()).sort();
    await cluster.orch.restart();
    // Nothing is in memory now: the list is the journal's, the same tasks.
    expect((await taskIds()).sort()).toEqual(beforeRestart);

    const replayedChat = await client.chat.completions.create(chat, { headers: { "Idempotency-Key": "chat-1" } }).withResponse();
    expect(replayedChat.response.headers.get("idempotent-replayed")).toBe("true");
    expect(replayedChat.data.choices[0]?.message.content).toBe(firstRun.chat);
    expect(replayedChat.data.usage?.completion_tokens).toBe(24);
    const replayedStream = await streamText(await client.chat.completions.create({ ...chat, max_tokens: 60, stream: true }, { headers: { "Idempotency-Key": "stream-1" } }));
    expect(replayedStream).toBe(firstRun.stream);
    const message = (await (await post("/v1/messages", { model: TINY, max_tokens: 8, messages: [{ role: "user", content: "Say hello" }] }, "msg-1")).json()) as { content: unknown };
    expect(message.content).toEqual(firstRun.message);
    const generate = (await (await post("/api/generate", { model: TINY, prompt: "Say hello", stream: false, options: { num_predict: 8 } }, "gen-1")).json()) as { response: string };
    expect(generate.response).toBe(firstRun.generate);

    // /v2: the same task id, and its events (same ids) from the journal.
    const v2Retry = await post("/v2/tasks", taskRequest(TINY, { prompt: "Once upon a time", max_tokens: 12, temperature: 0 }), "v2-1");
    expect(v2Retry.status).toBe(202);
    // The fingerprint is journaled too: another request with a replayed key is still refused after the restart.
    expect((await post("/v2/tasks", taskRequest(TINY, { prompt: "Once upon a time", max_tokens: 13, temperature: 0 }), "v2-1")).status).toBe(422);
    expect((await post("/api/generate", { model: TINY, prompt: "Say goodbye", stream: false, options: { num_predict: 8 } }, "gen-1")).status).toBe(422);
    expect(v2Retry.headers.get("idempotent-replayed")).toBe("true");
    expect(AdmissionResponseV2Schema.parse(await v2Retry.json()).task_id).toBe(v2Id);
    const replayedEvents = (await followTaskEvents(cluster.orch.url, cluster.orch.token, v2Id).done).map((e) => e.event);
    expect(replayedEvents).toEqual(v2Events);

    // Nothing ran again: the replays revived tasks finished before the restart, no new task was admitted.
    const statuses = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks")).json()).tasks;
    expect(statuses.map((t) => t.task_id).sort()).toEqual(beforeRestart);
    for (const s of statuses) expect(["completed", "canceled", "failed"]).toContain(s.state);
  });
});

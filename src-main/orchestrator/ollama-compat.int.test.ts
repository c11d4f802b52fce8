import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OllamaErrorSchema } from "../../src-shared/ollama/ollama-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName, testModelPath } from "../../test-support/models.js";

// The Ollama surface (what Open WebUI and Continue speak) against a real orchestrator and a real worker agent.
const TINY = testModelName("tiny");
let cluster: CompatCluster;
let ollama: Ollama;

beforeAll(async () => {
  cluster = await startCompatCluster("node-ollama", ["tiny"]);
  ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });

describe("Ollama API through the ollama client", () => {
  it("lists, shows and reports loaded models and the version", async () => {
    const { models } = await ollama.list();
    expect(models.map((m) => m.name)).toEqual([TINY]);
    expect(models[0]).toMatchObject({ model: TINY, details: { format: "gguf" } });
    expect(models[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    const show = await ollama.show({ model: `${TINY}:latest` });
    // No chat template: completion and embeddings, no tools.
    expect(show.capabilities).toEqual(["completion", "embedding"]);
    expect(Object.keys(show.model_info as unknown as Record<string, unknown>)).toEqual(expect.arrayContaining(["general.architecture", expect.stringMatching(/\.context_length$/)]));
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual([TINY]);
    // The Ollama API level served (clients gate on it: Copilot wants ≥ 0.6.4), not llama-orch's own 0.1.0.
    const version = (await ollama.version()).version.split(".").map(Number);
    expect(version[0] === 0 && (version[1] ?? 0) >= 12).toBe(true);
  });

  it("a chat history longer than the context loses its oldest turns as Ollama's does (system message kept, restarting at a user turn); OpenAI's surface still refuses it", async () => {
    const system = { role: "system", content: "You answer briefly and stay on topic." };
    const turns: { role: string; content: string }[] = [];
    for (let i = 0; i < 30; i++) turns.push({ role: "user", content: `question ${i}: ${"word ".repeat(12)}` }, { role: "assistant", content: `answer ${i}: ${"word ".repeat(12)}` });
    const last = { role: "user", content: "and the last question?" };
    const refused = await post("/v1/chat/completions", { model: TINY, messages: [system, ...turns, last], max_tokens: 4 });
    expect(refused.status).toBe(400);
    const contextSize = Number(/more than the (\d+)-token context/.exec(((await refused.json()) as { error: { message: string } }).error.message)?.[1]);
    expect(contextSize).toBeGreaterThan(0);
    // What the engine keeps: the system message and the newest turns whose prompt leaves the 4 tokens asked for.
    const counted = async (kept: typeof turns) => {
      const res = await post("/v1/messages/count_tokens", { model: TINY, system: system.content, messages: kept });
      return ((await res.json()) as { input_tokens: number }).input_tokens;
    };
    let expected = -1;
    for (let start = 0; start < turns.length; start += 2) {
      const tokens = await counted([...turns.slice(start), last]);
      if (tokens + 4 <= contextSize) {
        expected = tokens;
        expect(start, "some turns are left out").toBeGreaterThan(0);
        break;
      }
    }
    expect(expected).toBeGreaterThan(0);
    const answered = await ollama.chat({ model: TINY, messages: [system, ...turns, last], options: { num_predict: 4, temperature: 0 } });
    expect(answered).toMatchObject({ done: true, prompt_eval_count: expected, eval_count: 4 });
    // The last turn alone does not fit: nothing is left to drop.
    const tooLong = await post("/api/chat", { model: TINY, messages: [system, ...turns, { role: "user", content: "word ".repeat(contextSize) }], stream: false, options: { num_predict: 4 } });
    expect(tooLong.status).toBe(400);
    expect(OllamaErrorSchema.parse(await tooLong.json()).error).toMatch(/even with only the system messages and the last user turn/);
  });

  it("chat streams NDJSON chunks ending with done:true; stream:false answers with the same text", async () => {
    const stream = await ollama.chat({ model: TINY, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }], stream: true, options: { num_predict: 6, temperature: 0 } });
    let text = "";
    let chunks = 0;
    let last: Awaited<ReturnType<typeof ollama.chat>> | undefined;
    for await (const part of stream) {
      text += part.message.content;
      chunks++;
      last = part;
    }
    expect(chunks).toBe(7);
    expect(last).toMatchObject({ done: true, done_reason: "length", eval_count: 6, model: TINY });
    expect(last?.prompt_eval_count).toBeGreaterThan(0);
    const whole = await ollama.chat({ model: TINY, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }], stream: false, options: { num_predict: 6, temperature: 0 } });
    expect(whole).toMatchObject({ done: true, done_reason: "length", message: { role: "assistant", content: text } });
  });

  it("generate: templated by default, raw on request, streamed or not; an empty prompt only loads", async () => {
    const whole = await ollama.generate({ model: TINY, prompt: "Once upon a time", raw: true, options: { num_predict: 5, seed: 7 } });
    expect(whole).toMatchObject({ done: true, done_reason: "length", eval_count: 5 });
    let text = "";
    for await (const part of await ollama.generate({ model: TINY, prompt: "Once upon a time", raw: true, stream: true, options: { num_predict: 5, seed: 7 } })) text += part.response;
    expect(text).toBe(whole.response);
    const templated = await ollama.generate({ model: TINY, prompt: "Say hello", system: "Be brief.", options: { num_predict: 4 }, keep_alive: "30m" });
    expect(templated.eval_count).toBe(4);
    expect(await ollama.generate({ model: TINY, prompt: "" })).toMatchObject({ done: true, done_reason: "load", response: "" });
  });

  it("format: a JSON schema constrains chat and generate output (llama.cpp grammar)", async () => {
    const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] }, score: { type: "integer", minimum: 0, maximum: 9 } }, required: ["answer", "score"] };
    const chat = await ollama.chat({ model: TINY, messages: [{ role: "user", content: "Answer in JSON" }], format: schema, options: { num_predict: 40 } });
    expect(JSON.parse(chat.message.content)).toEqual({ answer: expect.stringMatching(/^(yes|no)$/), score: expect.any(Number) });
    const generated = await ollama.generate({ model: TINY, prompt: "JSON:", raw: true, format: schema, options: { num_predict: 40 } });
    const parsed = JSON.parse(generated.response ?? "") as { answer: string; score: number };
    expect(["yes", "no"]).toContain(parsed.answer);
    expect(Number.isInteger(parsed.score) && parsed.score >= 0 && parsed.score <= 9).toBe(true);
  });

  it("refuses what it cannot honour, by name, in Ollama's error shape", async () => {
    await expect(ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], options: { mirostat: 2 } })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^options\.mirostat is not supported/) });
    await expect(ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], format: { type: "string", pattern: "^a" } })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^format uses pattern/) });
    await expect(ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }, { role: "user", content: "hi", images: ["AA=="] }] })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^messages\[\] is not supported/) });
    await expect(ollama.generate({ model: TINY, prompt: "hi", images: ["AA=="] })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^images is not supported/) });
    await expect(ollama.chat({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status_code: 404 });
    const unknown = await post("/api/generate", { model: TINY, prompt: "hi", options: { num_gpu: 1 } });
    expect(OllamaErrorSchema.parse(await unknown.json()).error).toMatch(/^options\.num_gpu is not supported: it is a load-time setting/);
    // A num_ctx beyond the model's trained context is clamped to it, as Ollama does (clients send one for every model).
    const tooLarge = await post("/api/generate", { model: TINY, prompt: "hi", stream: false, options: { num_ctx: 1_000_000, num_predict: 2 } });
    expect(tooLarge.status).toBe(200);
    expect(await tooLarge.json()).toMatchObject({ done: true, eval_count: 2 });
    await expect(ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], options: { num_ctx: 8192, num_predict: 2 } })).resolves.toMatchObject({ done: true, eval_count: 2 });
    // `ollama stop` (keep_alive 0, nothing to generate) asks for an unload: refused by name, not answered as a load.
    await expect(ollama.generate({ model: TINY, prompt: "", keep_alive: 0 })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^keep_alive is not supported/) });
    await expect(ollama.chat({ model: TINY, messages: [], keep_alive: "0s" })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^keep_alive is not supported/) });
    await expect(ollama.generate({ model: TINY, prompt: "", options: { mirostat: 1 } })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^options\.mirostat is not supported/) });
  });

  it("logprobs: each line's tokens with their log probability (and top_logprobs alternatives); stream:false carries all of them", async () => {
    const whole = await ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], logprobs: true, top_logprobs: 2, options: { num_predict: 4, temperature: 0 } });
    expect(whole.logprobs?.length).toBe(4);
    expect(whole.logprobs?.map((t) => t.token).join("")).toBe(whole.message.content);
    for (const t of whole.logprobs ?? []) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs?.length).toBe(2);
      // Greedy: the most likely alternative is the token itself.
      expect(t.top_logprobs?.[0]?.token).toBe(t.token);
    }
    const stream = await ollama.generate({ model: TINY, prompt: "hi", logprobs: true, stream: true, options: { num_predict: 4, temperature: 0 } });
    let text = "";
    const streamed: { token: string; logprob: number }[] = [];
    for await (const chunk of stream) {
      text += chunk.response ?? "";
      streamed.push(...(chunk.logprobs ?? []));
      if (!chunk.done) expect(chunk.logprobs?.map((t) => t.token).join("")).toBe(chunk.response);
    }
    expect(streamed.map((t) => t.token).join("")).toBe(text);
    expect(streamed.every((t) => !("top_logprobs" in t))).toBe(true);
    await expect(ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], top_logprobs: 2 })).rejects.toMatchObject({ status_code: 400, error: "top_logprobs needs logprobs: true" });
    // A load request (nothing to generate) checks it as well.
    await expect(ollama.chat({ model: TINY, messages: [], top_logprobs: 2 })).rejects.toMatchObject({ status_code: 400, error: "top_logprobs needs logprobs: true" });
    const plain = await ollama.chat({ model: TINY, messages: [{ role: "user", content: "hi" }], options: { num_predict: 2 } });
    expect(plain.logprobs).toBeUndefined();
  });

  it("keep_alive: seconds or a Go duration; anything else is a 400, as Ollama answers it", async () => {
    for (const keep_alive of ["5m", -1, "-1", "1h30m"]) expect((await post("/api/generate", { model: TINY, prompt: "hi", stream: false, keep_alive, options: { num_predict: 1 } })).status, String(keep_alive)).toBe(200);
    const bogus = await post("/api/chat", { model: TINY, messages: [{ role: "user", content: "hi" }], stream: false, keep_alive: "5 minutes" });
    expect(bogus.status).toBe(400);
    expect(OllamaErrorSchema.parse(await bogus.json()).error).toContain('keep_alive must be seconds or a duration such as "5m"');
  });

  it("top-level temperature, top_p and max_output_tokens (the Vercel AI SDK's ollama-ai-provider-v2 sends them) are honoured as their options", async () => {
    const res = await post("/api/chat", { model: TINY, messages: [{ role: "user", content: "hi" }], stream: false, temperature: 0, top_p: 0.9, max_output_tokens: 3, think: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ done: true, done_reason: "length", eval_count: 3 });
    const generated = await post("/api/generate", { model: TINY, prompt: "hi", stream: false, max_output_tokens: 2 });
    expect(await generated.json()).toMatchObject({ eval_count: 2 });
    const clash = await post("/api/chat", { model: TINY, messages: [{ role: "user", content: "hi" }], stream: false, max_output_tokens: 3, options: { num_predict: 5 } });
    expect(clash.status).toBe(400);
    expect(OllamaErrorSchema.parse(await clash.json()).error).toMatch(/^max_output_tokens 3 and options.num_predict 5 disagree/);
  });

  it("reads a body labelled as a form (Ollama's own curl -d examples) as JSON, and null fields as not set", async () => {
    const res = await cluster.orch.api("/api/generate", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: JSON.stringify({ model: TINY, prompt: "Once", raw: true, stream: false, options: { num_predict: 3 } }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ done: true, eval_count: 3 });
    // Ollama reads null as not set: a client that sends every optional field as null gets the same answer.
    const nulls = await post("/api/chat", { model: TINY, messages: [{ role: "user", content: "hi", images: null, tool_calls: null }], stream: false, format: null, keep_alive: null, tools: null, think: null, options: { num_predict: 3, temperature: 0, seed: null, stop: null, top_k: null } });
    const plain = await post("/api/chat", { model: TINY, messages: [{ role: "user", content: "hi" }], stream: false, options: { num_predict: 3, temperature: 0 } });
    expect(nulls.status).toBe(200);
    expect(((await nulls.json()) as { message: { content: string } }).message.content).toBe(((await plain.json()) as { message: { content: string } }).message.content);
    const broken = await cluster.orch.api("/api/chat", { method: "POST", headers: { "content-type": "text/plain" }, body: "{not json" });
    expect(broken.status).toBe(400);
    expect(OllamaErrorSchema.parse(await broken.json()).error).toMatch(/not valid JSON/);
  });

  it("pull: a model in the cluster is already pulled; any other is a clear 404; create/push, and delete of a model's own name, say what to do instead", async () => {
    const progress = [];
    for await (const line of await ollama.pull({ model: `${TINY}:latest`, stream: true })) progress.push(line.status);
    expect(progress).toEqual(["success"]);
    expect(await ollama.pull({ model: TINY })).toMatchObject({ status: "success" });
    await expect(ollama.pull({ model: "llama3.2:1b" })).rejects.toMatchObject({ status_code: 404, error: expect.stringMatching(/^model "llama3\.2:1b" is not in the cluster, and this server does not pull from the Ollama registry/) });
    const missing = await post("/api/pull", {});
    expect(missing.status).toBe(400);
    // A model's own name is not deleted here (its files are on workers); aliases made by cp are (model-aliases.int.test.ts).
    await expect(ollama.delete({ model: TINY })).rejects.toMatchObject({ status_code: 501, error: expect.stringMatching(new RegExp(`^deleting a model is not done through the Ollama API here \\(model "${TINY}"\\): "${TINY}" is a model's own name, not an alias; its GGUF files live in the workers' models folders`)) });
    // cp makes an operator alias; onto a model's own name it is refused.
    await expect(ollama.copy({ source: TINY, destination: TINY })).rejects.toMatchObject({ status_code: 409, error: expect.stringMatching(/already the name of a model/) });
    await expect(ollama.create({ model: "mine", from: TINY })).rejects.toMatchObject({ status_code: 501, error: expect.stringMatching(/^creating a model/) });
    await expect(ollama.push({ model: TINY })).rejects.toMatchObject({ status_code: 501, error: expect.stringMatching(/^pushing a model/) });
    // Nothing changed: the model is still listed.
    expect((await ollama.list()).models.map((m) => m.name)).toEqual([TINY]);
  });

  it("show and pull of a model in the orchestrator's store but on no node say so and how to stage it", async () => {
    const imported = await post("/v2/catalog/import", { path: testModelPath("tiny-b") });
    expect(imported.status).toBe(201);
    const { sha256 } = (await imported.json()) as { sha256: string };
    const expected = (name: string) => `model "${name}" (sha256:${sha256}) is not on any online node: it is in the orchestrator's store; stage it to a node (POST /v2/catalog/models/sha256:${sha256}/stage, or the dashboard's Models view)`;
    // Before: "not found; GET /api/tags lists the models in the cluster" and "is not in the cluster … put its GGUF file in a worker's models folder".
    await expect(ollama.show({ model: `${testModelName("tiny-b")}:latest` })).rejects.toMatchObject({ status_code: 404, error: expected(`${testModelName("tiny-b")}:latest`) });
    await expect(ollama.pull({ model: testModelName("tiny-b") })).rejects.toMatchObject({ status_code: 404, error: expected(testModelName("tiny-b")) });
    // Still not listed: /api/tags is what nodes serve.
    expect((await ollama.list()).models.map((m) => m.name)).toEqual([TINY]);
  });
});

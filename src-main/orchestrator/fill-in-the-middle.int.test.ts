import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OllamaErrorSchema } from "../../src-shared/ollama/ollama-error.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { testModelName } from "../../test-support/models.js";

// Fill in the middle (code completion: Continue's autocomplete sends `suffix` to Ollama's /api/generate,
// OpenAI-style clients to /v1/completions) on a generated model with <PRE>/<SUF>/<MID>/<EOT> tokens,
// through a real orchestrator and a real worker running llama.cpp.
const FIM = testModelName("tiny-fim");
const PLAIN = testModelName("tiny");
let cluster: CompatCluster;
let openai: OpenAI;
let ollama: Ollama;

beforeAll(async () => {
  cluster = await startCompatCluster("node-fim", ["tiny-fim", "tiny"]);
  openai = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
  ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });

describe("fill in the middle", () => {
  it("/v1/completions with a suffix: the prefix and suffix framed by the model's FIM tokens, counted in usage", async () => {
    const prefix = "the cat sat on";
    const suffix = " and the dog ran fast";
    const plain = await openai.completions.create({ model: FIM, prompt: prefix, max_tokens: 6, temperature: 0 });
    const filled = await openai.completions.create({ model: FIM, prompt: prefix, suffix, max_tokens: 6, temperature: 0 });
    expect(filled.choices[0]?.finish_reason).toBeDefined();
    // The suffix's tokens and the <PRE>/<SUF>/<MID> framing are part of the prompt the model read.
    expect(filled.usage?.prompt_tokens).toBeGreaterThan((plain.usage?.prompt_tokens ?? 0) + 3);
    const stream = await openai.completions.create({ model: FIM, prompt: prefix, suffix, max_tokens: 6, temperature: 0, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(filled.choices[0]?.text);
  });

  it("Ollama /api/generate with a suffix (Continue's autocomplete), streamed or not, gives the same text", async () => {
    const whole = await ollama.generate({ model: FIM, prompt: "def hello(", suffix: "):\n    return 1", options: { num_predict: 6, temperature: 0 } });
    expect(whole.done).toBe(true);
    expect(whole.prompt_eval_count).toBeGreaterThan(6);
    let text = "";
    for await (const chunk of await ollama.generate({ model: FIM, prompt: "def hello(", suffix: "):\n    return 1", stream: true, options: { num_predict: 6, temperature: 0 } })) text += chunk.response;
    expect(text).toBe(whole.response);
    await expect(ollama.generate({ model: FIM, prompt: "x", suffix: "y", system: "be brief" })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/system cannot be combined with suffix/) });
  });

  it("/api/show lists insert (Ollama's fill-in-the-middle capability) for the model with FIM tokens only", async () => {
    // Continue picks an autocomplete model by this capability, as Ollama reports it (from the GGUF's FIM tokens).
    expect((await ollama.show({ model: FIM })).capabilities).toEqual(["completion", "insert", "embedding"]);
    expect((await ollama.show({ model: PLAIN })).capabilities).toEqual(["completion", "embedding"]);
  });

  it("a model without fill-in-the-middle tokens, or a suffix without a prompt, is a 400 naming it", async () => {
    const plain = await post("/v1/completions", { model: PLAIN, prompt: "x", suffix: "y", max_tokens: 2 });
    expect(plain.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await plain.json()).error).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringContaining("has no fill-in-the-middle tokens") });
    const ollamaPlain = await post("/api/generate", { model: PLAIN, prompt: "x", suffix: "y", stream: false });
    expect(ollamaPlain.status).toBe(400);
    expect(OllamaErrorSchema.parse(await ollamaPlain.json()).error).toContain("has no fill-in-the-middle tokens");
    const chat = await post("/v1/chat/completions", { model: FIM, messages: [{ role: "user", content: "x" }], suffix: "y" });
    expect(chat.status).toBe(400);
    const v2 = await post("/v2/tasks", taskRequest(FIM, { prompt: undefined, messages: [{ role: "user", content: "x" }], suffix: "y" }));
    expect(v2.status).toBe(400);
    expect(JSON.stringify(await v2.json())).toContain("suffix goes with prompt");
    const v2Fim = await post("/v2/tasks", taskRequest(FIM, { prompt: "the cat", suffix: " the dog", max_tokens: 3 }));
    expect(v2Fim.status).toBe(202);
  });
});

import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, embed, embedMany, generateObject, generateText, Output, stepCountIs, streamObject, streamText, tool, type LanguageModel } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { TaskListResponseSchema } from "../../src-shared/tasks/task-status.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { recordingFetch, type RecordingFetch } from "../../test-support/recording-fetch.js";

// The Vercel AI SDK (`ai` with its OpenAI, OpenAI-compatible and Anthropic providers, and the Ollama
// community provider) driven the way its docs show, against a real orchestrator and a real worker running
// llama.cpp on generated models. Random weights say gibberish: what is asserted is what a user of the SDK
// notices (no thrown error, finish reasons, usage, structured output and tool input that validate).
const CHAT = testModelName("tiny-chatml");
const LONG = testModelName("medium");
let cluster: CompatCluster;
const wire: Record<"openai" | "compatible" | "anthropic" | "ollama", RecordingFetch> = {
  openai: recordingFetch("ai-sdk openai"),
  compatible: recordingFetch("ai-sdk openai-compatible"),
  anthropic: recordingFetch("ai-sdk anthropic"),
  ollama: recordingFetch("ai-sdk ollama"),
};
let surfaces: { name: string; model: (id: string) => LanguageModel; wire: RecordingFetch }[] = [];
let providers: {
  openai: ReturnType<typeof createOpenAI>;
  compatible: ReturnType<typeof createOpenAICompatible>;
  anthropic: ReturnType<typeof createAnthropic>;
  ollama: ReturnType<typeof createOllama>;
};

beforeAll(async () => {
  cluster = await startCompatCluster("node-ai-sdk", ["tiny-chatml", "medium"]);
  const url = cluster.orch.url;
  const token = cluster.orch.token;
  providers = {
    openai: createOpenAI({ baseURL: `${url}/v1`, apiKey: token, fetch: wire.openai.fetch }),
    compatible: createOpenAICompatible({ name: "llama-orch", baseURL: `${url}/v1`, apiKey: token, includeUsage: true, supportsStructuredOutputs: true, fetch: wire.compatible.fetch }),
    anthropic: createAnthropic({ baseURL: `${url}/v1`, apiKey: token, fetch: wire.anthropic.fetch }),
    ollama: createOllama({ baseURL: `${url}/api`, headers: { Authorization: `Bearer ${token}` }, fetch: wire.ollama.fetch }),
  };
  surfaces = [
    { name: "openai.chat (Chat Completions)", model: (id) => providers.openai.chat(id), wire: wire.openai },
    { name: "openai (Responses)", model: (id) => providers.openai(id), wire: wire.openai },
    { name: "openai-compatible", model: (id) => providers.compatible(id), wire: wire.compatible },
    { name: "anthropic (Messages)", model: (id) => providers.anthropic(id), wire: wire.anthropic },
    { name: "ollama (/api/chat)", model: (id) => providers.ollama(id), wire: wire.ollama },
  ];
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

const Weather = z.object({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int().min(1).max(7), metric: z.boolean() });
const SURFACES = ["openai.chat (Chat Completions)", "openai (Responses)", "openai-compatible", "anthropic (Messages)", "ollama (/api/chat)"] as const;
const surface = (name: string) => {
  const found = surfaces.find((s) => s.name === name);
  if (found === undefined) throw new Error(name);
  return found;
};

describe.each(SURFACES)("AI SDK through %s", (name) => {
  it("generateText: text, finishReason length at maxOutputTokens, usage consistent", async () => {
    const result = await generateText({ model: surface(name).model(CHAT), prompt: "Say hello", maxOutputTokens: 5, maxRetries: 0 });
    expect(result.finishReason).toBe("length");
    expect(result.usage.outputTokens).toBe(5);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe((result.usage.inputTokens ?? 0) + 5);
    expect(result.text.length).toBeGreaterThan(0);
  });

  it("streamText: the text stream assembles to what onFinish reports, with usage", async () => {
    let finished: { text: string; finishReason: string; usage: { inputTokens: number | undefined; outputTokens: number | undefined } } | undefined;
    const result = streamText({ model: surface(name).model(CHAT), system: "Be brief.", prompt: "Say hello", maxOutputTokens: 6, maxRetries: 0, onFinish: (e) => void (finished = e) });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    expect(await result.finishReason).toBe("length");
    expect(finished?.text).toBe(text);
    expect(finished?.finishReason).toBe("length");
    expect(finished?.usage.outputTokens).toBe(6);
    expect(finished?.usage.inputTokens).toBeGreaterThan(0);
  });

  it("generateObject with a zod schema: the object validates", async () => {
    const { object, finishReason } = await generateObject({ model: surface(name).model(CHAT), schema: Weather, prompt: "Weather in Paris for 3 days?", maxOutputTokens: 60, maxRetries: 0 });
    Weather.parse(object);
    expect(finishReason).not.toBe("error");
  });

  it("streamObject with a zod schema: partial objects stream, the final object validates", async () => {
    const result = streamObject({ model: surface(name).model(CHAT), schema: Weather, prompt: "Weather in Oslo?", maxOutputTokens: 60, maxRetries: 0 });
    let partials = 0;
    for await (const _partial of result.partialObjectStream) partials++;
    expect(partials).toBeGreaterThan(0);
    Weather.parse(await result.object);
  });

  it("generateText with Output.object: the output validates", async () => {
    const { output } = await generateText({ model: surface(name).model(CHAT), output: Output.object({ schema: Weather }), prompt: "Weather in Lima?", maxOutputTokens: 60, maxRetries: 0 });
    Weather.parse(output);
  });

  it("tool calling over two steps: the forced call's input validates, its result goes back, the second step answers", async () => {
    const calls: unknown[] = [];
    const getWeather = tool({ description: "Weather forecast for a city", inputSchema: Weather, execute: async (input) => (calls.push(input), { temperature_c: 18, sky: "clear" }) });
    const result = await generateText({
      model: surface(name).model(CHAT),
      tools: { get_weather: getWeather },
      prompt: "What is the weather in Paris?",
      maxOutputTokens: 60,
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: { type: "tool", toolName: "get_weather" } } : { toolChoice: "none", maxOutputTokens: 4 }),
    });
    expect(calls).toHaveLength(1);
    Weather.parse(calls[0]);
    expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "length"]);
    expect(result.steps[0]?.toolResults[0]?.output).toEqual({ temperature_c: 18, sky: "clear" });
    expect(result.totalUsage.outputTokens).toBe((result.steps[0]?.usage.outputTokens ?? 0) + 4);
  });

  it("streamText with tools: the tool call streams, executes, and the stream goes on to the answer", async () => {
    const getWeather = tool({ description: "Weather forecast for a city", inputSchema: Weather, execute: async () => ({ temperature_c: 18 }) });
    const result = streamText({
      model: surface(name).model(CHAT),
      tools: { get_weather: getWeather },
      prompt: "What is the weather in Paris?",
      maxOutputTokens: 60,
      maxRetries: 0,
      stopWhen: stepCountIs(2),
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: { type: "tool", toolName: "get_weather" } } : { toolChoice: "none", maxOutputTokens: 4 }),
    });
    const types = new Set<string>();
    for await (const part of result.fullStream) {
      types.add(part.type);
      if (part.type === "error") throw part.error;
      if (part.type === "tool-call") Weather.parse(part.input);
    }
    expect([...types]).toEqual(expect.arrayContaining(["tool-call", "tool-result", "text-delta", "finish"]));
    expect((await result.steps).map((s) => s.finishReason)).toEqual(["tool-calls", "length"]);
  });

  it("an abort mid-stream ends the server task", async () => {
    const controller = new AbortController();
    const result = streamText({ model: surface(name).model(LONG), prompt: "Tell a long story", maxOutputTokens: 3000, maxRetries: 0, abortSignal: controller.signal });
    let deltas = 0;
    try {
      for await (const _delta of result.textStream) if (++deltas === 3) controller.abort();
    } catch (error) {
      expect((error as Error).name).toMatch(/Abort/);
    }
    expect(deltas).toBeGreaterThanOrEqual(3);
    const deadline = Date.now() + 5_000;
    let active = 1;
    while (active > 0 && Date.now() < deadline) {
      const list = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?limit=5")).json());
      active = list.tasks.filter((t) => t.state === "running" || t.state === "dispatching" || t.state === "queued").length;
      if (active > 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(active).toBe(0);
    const last = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?limit=1")).json()).tasks[0];
    expect(last?.state).toBe("canceled");
    expect(last?.tokens_out).toBeLessThan(3000);
  });

  // ollama-ai-provider-v2 reads errors in OpenAI's shape ({error: {message}}), not Ollama's ({error: "…"}), so
  // its message is the status text there; the server's words are in responseBody, as against Ollama itself.
  const fromBody = name.startsWith("ollama");

  it("an unknown model surfaces the server's message as an APICallError", async () => {
    const failure = generateText({ model: surface(name).model("no-such-model"), prompt: "hi", maxOutputTokens: 2, maxRetries: 0 });
    await expect(failure).rejects.toBeInstanceOf(APICallError);
    await expect(failure).rejects.toMatchObject({ statusCode: 404, [fromBody ? "responseBody" : "message"]: expect.stringContaining("no-such-model") });
  });

  // The Anthropic provider never sends bounds: its JSON tool is not held to them (Anthropic does not enforce a
  // tool's schema) and its native mode strips them first, as Anthropic's structured outputs do not take them.
  it.skipIf(name.startsWith("anthropic"))("a schema the output grammar cannot express is a 400 APICallError naming the keyword", async () => {
    const failure = generateObject({ model: surface(name).model(CHAT), schema: z.object({ t: z.number().min(0).max(1) }), prompt: "x", maxOutputTokens: 20, maxRetries: 0 });
    await expect(failure).rejects.toBeInstanceOf(APICallError);
    await expect(failure).rejects.toMatchObject({ statusCode: 400, [fromBody ? "responseBody" : "message"]: expect.stringMatching(/properties\.t uses minimum on a number, which the llama\.cpp grammar that constrains the output cannot express/) });
  });

  it("the common call settings reach the server and are honoured, none refused", async () => {
    surface(name).wire.clear();
    const result = await generateText({ model: surface(name).model(CHAT), prompt: "hi", maxOutputTokens: 3, temperature: 0.5, topP: 0.9, topK: 40, presencePenalty: 0.1, frequencyPenalty: 0.1, stopSequences: ["\n\n"], seed: 7, maxRetries: 0 });
    expect(result.finishReason).toBe("length");
    const sent = surface(name).wire.bodies(PATHS[name]).at(-1);
    // What each provider puts on the wire (the rest it drops itself, with a warning); the server took all of it.
    expect(sent).toMatchObject(SENT_SETTINGS[name]);
    expect(result.warnings?.map((w) => ("feature" in w ? (w.feature === "setting" && "details" in w ? w.details : w.feature) : ""))).toEqual(DROPPED_SETTINGS[name]);
  });
});

const PATHS: Record<(typeof SURFACES)[number], string> = {
  "openai.chat (Chat Completions)": "/v1/chat/completions",
  "openai (Responses)": "/v1/responses",
  "openai-compatible": "/v1/chat/completions",
  "anthropic (Messages)": "/v1/messages",
  "ollama (/api/chat)": "/api/chat",
};
const CHAT_SETTINGS = { temperature: 0.5, top_p: 0.9, presence_penalty: 0.1, frequency_penalty: 0.1, stop: ["\n\n"], seed: 7, max_tokens: 3 };
const SENT_SETTINGS: Record<(typeof SURFACES)[number], Record<string, unknown>> = {
  "openai.chat (Chat Completions)": CHAT_SETTINGS,
  "openai (Responses)": { temperature: 0.5, top_p: 0.9, max_output_tokens: 3 },
  "openai-compatible": CHAT_SETTINGS,
  "anthropic (Messages)": { temperature: 0.5, top_p: 0.9, top_k: 40, stop_sequences: ["\n\n"], max_tokens: 3 },
  "ollama (/api/chat)": { temperature: 0.5, top_p: 0.9, max_output_tokens: 3 },
};
const DROPPED_SETTINGS: Record<(typeof SURFACES)[number], string[]> = {
  "openai.chat (Chat Completions)": ["topK"],
  "openai (Responses)": ["topK", "seed", "presencePenalty", "frequencyPenalty", "stopSequences"],
  "openai-compatible": ["topK"],
  "anthropic (Messages)": ["frequencyPenalty", "presencePenalty", "seed"],
  "ollama (/api/chat)": ["topK", "seed", "presencePenalty", "frequencyPenalty", "stopSequences"],
};

describe("AI SDK structured output on the Anthropic surface", () => {
  it("structuredOutputMode outputFormat (what the provider picks for models it knows): output_config.format, the object validates, streamed too", async () => {
    wire.anthropic.clear();
    const providerOptions = { anthropic: { structuredOutputMode: "outputFormat" as const } };
    // Enums and booleans: the provider strips numeric bounds from a native schema.
    const Forecast = z.object({ city: z.enum(["Paris", "Oslo", "Lima"]), metric: z.boolean() });
    const { object, finishReason } = await generateObject({ model: providers.anthropic(CHAT), schema: Forecast, prompt: "Weather in Paris?", maxOutputTokens: 60, maxRetries: 0, providerOptions });
    Forecast.parse(object);
    expect(finishReason).toBe("stop");
    expect(wire.anthropic.body("/v1/messages")).toMatchObject({ output_config: { format: { type: "json_schema", schema: { type: "object", required: ["city", "metric"] } } } });
    expect(wire.anthropic.body("/v1/messages")).not.toHaveProperty("tools");
    const streamed = streamObject({ model: providers.anthropic(CHAT), schema: Forecast, prompt: "Weather in Oslo?", maxOutputTokens: 60, maxRetries: 0, providerOptions });
    let partials = 0;
    for await (const _partial of streamed.partialObjectStream) partials++;
    expect(partials).toBeGreaterThan(0);
    Forecast.parse(await streamed.object);
    expect(await streamed.finishReason).toBe("stop");
  });
});

describe("AI SDK embeddings", () => {
  it.each(["openai", "compatible", "ollama"] as const)("embed and embedMany through %s", async (which) => {
    const model = which === "openai" ? providers.openai.embedding(CHAT) : which === "compatible" ? providers.compatible.embeddingModel(CHAT) : providers.ollama.embedding(CHAT);
    const one = await embed({ model, value: "the cat sat on the mat", maxRetries: 0 });
    expect(one.embedding.length).toBe(64);
    const many = await embedMany({ model, values: ["the cat sat on the mat", "hello world"], maxRetries: 0 });
    expect(many.embeddings).toHaveLength(2);
    expect(many.embeddings[0]).toEqual(one.embedding.map((x) => expect.closeTo(x, 5)));
    expect(many.usage.tokens).toBeGreaterThan(0);
  });

  // Each provider sends up to 2,048 values in one request (OpenAI's limit), a RAG index's usual batch.
  it.each(["openai", "compatible", "ollama"] as const)("embedMany of 600 chunks through %s: one request, 600 vectors in order", async (which) => {
    const model = which === "openai" ? providers.openai.embedding(CHAT) : which === "compatible" ? providers.compatible.embeddingModel(CHAT) : providers.ollama.embedding(CHAT);
    const path = which === "ollama" ? "/api/embed" : "/v1/embeddings";
    wire[which].clear();
    const values = Array.from({ length: 600 }, (_, i) => `chunk ${i % 3}`);
    const { embeddings } = await embedMany({ model, values, maxRetries: 0 });
    expect(wire[which].bodies(path)).toHaveLength(1);
    expect(embeddings).toHaveLength(600);
    expect(embeddings[3]).toEqual(embeddings[0]);
    expect(embeddings[1]).not.toEqual(embeddings[0]);
  });

  it.each([
    // Ollama embeds [] (no vectors), so its bound has no lower end.
    ["/v1/embeddings", "a string or 1 to 2048 strings (send more in several requests)"],
    ["/api/embed", "a string or up to 2048 strings (send more in several requests)"],
  ])("%s: more than 2,048 inputs is a 400 that says how many fit", async (path, message) => {
    const res = await cluster.orch.api(path, { method: "POST", body: JSON.stringify({ model: CHAT, input: Array.from({ length: 2049 }, () => "x") }) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(message);
  });
});

import { ChatAnthropic } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk} from "@langchain/core/messages";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOllama, OllamaEmbeddings } from "@langchain/ollama";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { TaskListResponseSchema } from "../../src-shared/tasks/task-status.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { recordingFetch, type RecordingFetch } from "../../test-support/recording-fetch.js";

// LangChain JS (@langchain/openai, @langchain/anthropic, @langchain/ollama on @langchain/core) driven the way
// its docs show, against a real orchestrator and a real worker running llama.cpp on generated models.
// Random weights say gibberish: what is asserted is what a LangChain user notices.
const CHAT = testModelName("tiny-chatml");
const LONG = testModelName("medium");
let cluster: CompatCluster;
const wire: Record<"openai" | "responses" | "anthropic" | "ollama", RecordingFetch> = {
  openai: recordingFetch("langchain openai"),
  responses: recordingFetch("langchain openai responses"),
  anthropic: recordingFetch("langchain anthropic"),
  ollama: recordingFetch("langchain ollama"),
};

type SurfaceName = "ChatOpenAI" | "ChatOpenAI (Responses API)" | "ChatAnthropic" | "ChatOllama";
const SURFACES: readonly SurfaceName[] = ["ChatOpenAI", "ChatOpenAI (Responses API)", "ChatAnthropic", "ChatOllama"];

/** A chat model of each integration, as its docs build one against a self-hosted server. */
function chatModel(surface: SurfaceName, model: string, maxTokens: number): BaseChatModel {
  const url = cluster.orch.url;
  const token = cluster.orch.token;
  switch (surface) {
    case "ChatOpenAI":
      return new ChatOpenAI({ model, apiKey: token, maxTokens, maxRetries: 0, configuration: { baseURL: `${url}/v1`, fetch: wire.openai.fetch } });
    case "ChatOpenAI (Responses API)":
      return new ChatOpenAI({ model, apiKey: token, maxTokens, maxRetries: 0, useResponsesApi: true, configuration: { baseURL: `${url}/v1`, fetch: wire.responses.fetch } });
    case "ChatAnthropic":
      return new ChatAnthropic({ model, apiKey: token, maxTokens, maxRetries: 0, anthropicApiUrl: url, clientOptions: { fetch: wire.anthropic.fetch } });
    case "ChatOllama":
      return new ChatOllama({ model, baseUrl: url, headers: { Authorization: `Bearer ${token}` }, numPredict: maxTokens, fetch: wire.ollama.fetch });
  }
}

function bindTools(model: BaseChatModel, tools: Parameters<NonNullable<BaseChatModel["bindTools"]>>[0], kwargs?: Parameters<NonNullable<BaseChatModel["bindTools"]>>[1]) {
  if (model.bindTools === undefined) throw new Error("no bindTools");
  return model.bindTools(tools, kwargs);
}

/** Where each integration puts "the output ceiling ended it". */
const LENGTH: Record<SurfaceName, Record<string, string>> = {
  ChatOpenAI: { finish_reason: "length" },
  "ChatOpenAI (Responses API)": { status: "incomplete" },
  ChatAnthropic: { stop_reason: "max_tokens" },
  ChatOllama: { done_reason: "length" },
};

beforeAll(async () => {
  cluster = await startCompatCluster("node-langchain", ["tiny-chatml", "medium"]);
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

const Weather = z.object({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int().min(1).max(7), metric: z.boolean() });
const getWeather = tool(async (input) => JSON.stringify({ temperature_c: 18, city: input.city }), { name: "get_weather", description: "Weather forecast for a city", schema: Weather });

function expectUsage(message: BaseMessage, outputTokens: number): void {
  const usage = (message as AIMessage).usage_metadata;
  expect(usage?.output_tokens).toBe(outputTokens);
  expect(usage?.input_tokens).toBeGreaterThan(0);
  expect(usage?.total_tokens).toBe((usage?.input_tokens ?? 0) + outputTokens);
}

describe.each(SURFACES)("LangChain %s", (surface) => {
  it("invoke: an AIMessage with text, the length stop in response_metadata, usage_metadata consistent", async () => {
    const message = await chatModel(surface, CHAT, 5).invoke([new SystemMessage("Be brief."), new HumanMessage("Say hello")]);
    expect(message).toBeInstanceOf(AIMessage);
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.response_metadata).toMatchObject(LENGTH[surface]);
    expectUsage(message, 5);
  });

  it("stream: chunks concatenate to the whole answer with usage", async () => {
    let whole: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const chunk of await chatModel(surface, CHAT, 6).stream("Say hello")) {
      whole = whole === undefined ? chunk : whole.concat(chunk);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(whole?.text.length).toBeGreaterThan(0);
    expectUsage(whole as AIMessageChunk, 6);
  });

  it("batch: one answer per input, in order", async () => {
    const answers = await chatModel(surface, CHAT, 3).batch(["one", "two", "three"]);
    expect(answers).toHaveLength(3);
    for (const a of answers) expectUsage(a, 3);
  });

  it("withStructuredOutput(zod): the parsed object validates", async () => {
    const structured = chatModel(surface, CHAT, 60).withStructuredOutput(Weather, { name: "weather" });
    Weather.parse(await structured.invoke("Weather in Paris for 3 days?"));
  });

  // Ollama has no tool_choice, so ChatOllama drops it (and a random-weight model never calls on its own):
  // its tool turn is checked from a call in the history, as an earlier turn would have left it.
  it.skipIf(surface === "ChatOllama")("bindTools with a forced tool: valid args; the ToolMessage goes back and the model answers", async () => {
    const ask = new HumanMessage("What is the weather in Paris?");
    const call = await bindTools(chatModel(surface, CHAT, 60), [getWeather], { tool_choice: "get_weather" }).invoke([ask]);
    expect(call.tool_calls).toHaveLength(1);
    const made = call.tool_calls?.[0];
    if (made === undefined) throw new Error("no tool call");
    expect(made.name).toBe("get_weather");
    const result: unknown = await getWeather.invoke({ ...made, args: Weather.parse(made.args), type: "tool_call" });
    expect(result).toBeInstanceOf(ToolMessage);
    const answer = await bindTools(chatModel(surface, CHAT, 4), [getWeather]).invoke([ask, call, result as ToolMessage]);
    expect(answer.text.length).toBeGreaterThan(0);
  });

  it("a ToolMessage answering an earlier call in the history: the model answers it", async () => {
    const call = new AIMessage({ content: "", tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris", days: 2, metric: true }, type: "tool_call" }] });
    const answer = await bindTools(chatModel(surface, CHAT, 4), [getWeather]).invoke([new HumanMessage("Weather in Paris?"), call, new ToolMessage({ tool_call_id: "call_1", content: '{"temperature_c":18}' })]);
    expect(answer.text.length).toBeGreaterThan(0);
    expectUsage(answer, 4);
  });

  // ChatOllama neither aborts its HTTP request on the signal nor ends it when iteration stops (the ollama
  // client's stream has no return()), so the server sees a reader that is still there: nothing a server can act on.
  it.skipIf(surface === "ChatOllama")("an abort signal mid-stream ends the server task", async () => {
    const controller = new AbortController();
    let chunks = 0;
    try {
      for await (const _chunk of await chatModel(surface, LONG, 3000).stream("Tell a long story", { signal: controller.signal })) if (++chunks === 3) controller.abort();
    } catch (error) {
      expect(String(error)).toMatch(/abort/i);
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    const deadline = Date.now() + 5_000;
    let last = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?limit=1")).json()).tasks[0];
    while (last?.state !== "canceled" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      last = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?limit=1")).json()).tasks[0];
    }
    expect(last?.state).toBe("canceled");
    expect(last?.model_ref).toBe(LONG);
  });

  it("an unknown model: the client's error carries the server's message", async () => {
    await expect(chatModel(surface, "no-such-model", 2).invoke("hi")).rejects.toThrow(/no-such-model/);
  });
});

describe("LangChain structured output in JSON-schema mode", () => {
  // What the model is told to write: booleans, which LangChain's Anthropic schema rewrite keeps as they are.
  const Flags = z.object({ ok: z.boolean(), done: z.boolean() });

  it.each(SURFACES)("%s: withStructuredOutput(zod, {method: \"jsonSchema\"}) parses, streamed or not", async (surface) => {
    const structured = chatModel(surface, CHAT, 60).withStructuredOutput(Flags, { method: "jsonSchema" });
    Flags.parse(await structured.invoke("Is it ok and done?"));
    let last: unknown;
    for await (const partial of await structured.stream("Is it ok and done?")) last = partial;
    Flags.parse(last);
  });

  it("ChatAnthropic sends it as output_config.format (Anthropic's structured outputs): one text block, end_turn", async () => {
    wire.anthropic.clear();
    const { raw, parsed } = await chatModel("ChatAnthropic", CHAT, 60).withStructuredOutput(Flags, { method: "jsonSchema", includeRaw: true }).invoke("Is it ok?");
    expect(wire.anthropic.body("/v1/messages")).toMatchObject({ output_config: { format: { type: "json_schema", schema: { type: "object", required: ["ok", "done"] } } } });
    expect(wire.anthropic.body("/v1/messages")).not.toHaveProperty("tools");
    expect(raw.response_metadata).toMatchObject({ stop_reason: "end_turn", stop_sequence: null });
    Flags.parse(parsed);
  });
});

describe("LangChain embeddings", () => {
  it("OpenAIEmbeddings: embedQuery and embedDocuments", async () => {
    const embeddings = new OpenAIEmbeddings({ model: CHAT, apiKey: cluster.orch.token, maxRetries: 0, configuration: { baseURL: `${cluster.orch.url}/v1`, fetch: wire.openai.fetch } });
    const one = await embeddings.embedQuery("the cat sat on the mat");
    expect(one).toHaveLength(64);
    const many = await embeddings.embedDocuments(["the cat sat on the mat", "hello world"]);
    expect(many).toHaveLength(2);
    expect(many[0]).toEqual(one.map((x) => expect.closeTo(x, 5)));
  });

  // A RAG index embeds its chunks in one call: OpenAIEmbeddings sends 512 a request, OllamaEmbeddings all at once.
  it("600 chunks through OpenAIEmbeddings (two requests) and OllamaEmbeddings (one)", async () => {
    const chunks = Array.from({ length: 600 }, (_, i) => `chunk ${i % 3}`);
    wire.openai.clear();
    wire.ollama.clear();
    const viaOpenAi = await new OpenAIEmbeddings({ model: CHAT, apiKey: cluster.orch.token, maxRetries: 0, configuration: { baseURL: `${cluster.orch.url}/v1`, fetch: wire.openai.fetch } }).embedDocuments(chunks);
    expect(wire.openai.bodies("/v1/embeddings").map((b) => (b as { input: unknown[] }).input.length)).toEqual([512, 88]);
    const viaOllama = await new OllamaEmbeddings({ model: CHAT, baseUrl: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` }, fetch: wire.ollama.fetch }).embedDocuments(chunks);
    expect(wire.ollama.bodies("/api/embed")).toHaveLength(1);
    for (const vectors of [viaOpenAi, viaOllama]) {
      expect(vectors).toHaveLength(600);
      expect(vectors[3]).toEqual(vectors[0]);
      expect(vectors[1]).not.toEqual(vectors[0]);
    }
  });

  it("OllamaEmbeddings: embedQuery and embedDocuments", async () => {
    const embeddings = new OllamaEmbeddings({ model: CHAT, baseUrl: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` }, fetch: wire.ollama.fetch });
    const one = await embeddings.embedQuery("the cat sat on the mat");
    expect(one).toHaveLength(64);
    const many = await embeddings.embedDocuments(["the cat sat on the mat", "hello world"]);
    expect(many).toHaveLength(2);
    expect(many[0]).toEqual(one.map((x) => expect.closeTo(x, 5)));
  });
});

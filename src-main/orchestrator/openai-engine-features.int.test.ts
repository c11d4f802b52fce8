import { readGgufFileInfo } from "node-llama-cpp";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { testModelName, testModelPath } from "../../test-support/models.js";

// Structured output, tool calling, logprobs and embeddings through the unchanged `openai` client,
// against a real orchestrator and a real worker running llama.cpp on a generated chat model.
const CHAT = testModelName("tiny-chatml");
let cluster: CompatCluster;
let client: OpenAI;

beforeAll(async () => {
  cluster = await startCompatCluster("node-openai-features", ["tiny-chatml"]);
  client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });

// Enums, booleans and bounded integers: a random-weight model's output stays short under the grammar.
const WEATHER_SCHEMA = {
  type: "object",
  properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, days: { type: "integer", minimum: 1, maximum: 7 }, metric: { type: "boolean" } },
  required: ["city", "days", "metric"],
  additionalProperties: false,
};
const Weather = z.strictObject({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int().min(1).max(7), metric: z.boolean() });
const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Weather forecast for a city", parameters: WEATHER_SCHEMA, strict: true } },
  { type: "function", function: { name: "get_time", description: "Current time", parameters: { type: "object", properties: { utc: { type: "boolean" } }, required: ["utc"], additionalProperties: false } } },
];

describe("structured output", () => {
  it("json_schema (strict): the output parses and validates, streamed or not", async () => {
    const format = { type: "json_schema" as const, json_schema: { name: "weather", schema: WEATHER_SCHEMA, strict: true } };
    for (const seed of [1, 2, 3]) {
      const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather as JSON" }], max_tokens: 60, temperature: 0.8, seed, response_format: format });
      expect(res.choices[0]?.finish_reason).toBe("stop");
      Weather.parse(JSON.parse(res.choices[0]?.message.content ?? ""));
    }
    const stream = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather as JSON" }], max_tokens: 60, response_format: format, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    Weather.parse(JSON.parse(text));
  });

  it("the SDK's zodResponseFormat with z.int() (safe-integer bounds) is served, not refused as a range of 2^54 values", async () => {
    const Count = z.strictObject({ city: z.enum(["Paris", "Oslo"]), count: z.int() });
    const res = await client.chat.completions.parse({ model: CHAT, messages: [{ role: "user", content: "Count as JSON" }], max_tokens: 200, response_format: zodResponseFormat(Count, "count") });
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(Count.parse(res.choices[0]?.message.parsed)).toEqual(res.choices[0]?.message.parsed);
  });

  it("integers bounded only at the sign (zod's .nonnegative(), .positive(), .negative()) are served and the output keeps the sign", async () => {
    const Stock = z.strictObject({ items: z.int().nonnegative(), orders: z.array(z.int().positive()).min(1).max(3), debt: z.int().negative() });
    for (const seed of [1, 2, 3]) {
      const res = await client.chat.completions.parse({ model: CHAT, messages: [{ role: "user", content: "Stock as JSON" }], max_tokens: 200, temperature: 1, seed, response_format: zodResponseFormat(Stock, "stock") });
      expect(res.choices[0]?.finish_reason).toBe("stop");
      expect(Stock.parse(res.choices[0]?.message.parsed)).toEqual(res.choices[0]?.message.parsed);
    }
  });

  it("json_object: the output is JSON", async () => {
    const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "JSON please" }], max_tokens: 200, response_format: { type: "json_object" } });
    if (res.choices[0]?.finish_reason === "stop") expect(() => JSON.parse(res.choices[0]?.message.content ?? "")).not.toThrow();
    else expect(res.choices[0]?.message.content?.startsWith("{")).toBe(true);
  });

  it("a schema keyword the grammar cannot express is a 400 naming it", async () => {
    const res = await post("/v1/chat/completions", { model: CHAT, messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } } } } });
    expect(res.status).toBe(400);
    const error = OpenAiErrorSchema.parse(await res.json()).error;
    expect(error.param).toBe("response_format.json_schema.schema");
    expect(error.message).toContain("response_format.json_schema.schema.properties.code uses pattern");
  });

  it("counts llama.cpp's grammar cannot repeat are a 400, before queueing or from the engine, never a 500", async () => {
    const schema = (s: Record<string, unknown>) => ({ model: CHAT, max_tokens: 4, messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "s", schema: s } } });
    // Above the parser's repetition limit: refused by name before a task exists.
    const huge = await post("/v1/chat/completions", schema({ type: "array", items: { type: "string" }, minItems: 100_000_000 }));
    expect(huge.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await huge.json()).error.message).toContain("minItems 100000000 (above 2000");
    // Within the limit but too many rules repeated together: the engine's "Failed to parse grammar" was an INTERNAL 500.
    const parse = await post("/v1/chat/completions", schema({ type: "array", items: { type: "object", properties: { a: { type: "string" }, b: { type: "integer" } }, required: ["a"] }, maxItems: 2000 }));
    expect(parse.status).toBe(400);
    const error = OpenAiErrorSchema.parse(await parse.json()).error;
    expect(error.code).toBe("INVALID_PARAMS");
    expect(error.message).toContain("could not build the grammar");
    // The node is not blamed: the next request is served.
    expect((await post("/v1/chat/completions", { model: CHAT, max_tokens: 2, messages: [{ role: "user", content: "x" }] })).status).toBe(200);
  });
});

describe("tool calling", () => {
  it("tool_choice required: a call whose arguments validate, finish_reason tool_calls", async () => {
    const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "What is the weather in Paris?" }], tools: TOOLS, tool_choice: "required", max_tokens: 80 });
    const choice = res.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("no function call");
    expect(["get_weather", "get_time"]).toContain(call.function.name);
    const args: unknown = JSON.parse(call.function.arguments);
    if (call.function.name === "get_weather") Weather.parse(args);
    else z.strictObject({ utc: z.boolean() }).parse(args);
  });

  it("a named function, streamed: deltas as OpenAI sends them assemble to valid arguments", async () => {
    const stream = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather?" }], tools: TOOLS, tool_choice: { type: "function", function: { name: "get_weather" } }, max_tokens: 80, stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather" } });
    expect(deltas.slice(1).every((d) => d.id === undefined && d.index === 0)).toBe(true);
    Weather.parse(JSON.parse(deltas.map((d) => d.function?.arguments ?? "").join("")));
  });

  it("a conversation with a tool-result turn gets an answer", async () => {
    const first = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather in Oslo?" }], tools: TOOLS, tool_choice: { type: "function", function: { name: "get_weather" } }, max_tokens: 80 });
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (message === undefined || call === undefined) throw new Error("no call");
    const res = await client.chat.completions.create({
      model: CHAT,
      messages: [{ role: "user", content: "Weather in Oslo?" }, message, { role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature_c: 4, sky: "cloudy" }) }],
      tools: TOOLS,
      tool_choice: "none",
      max_tokens: 6,
    });
    expect(res.choices[0]?.finish_reason).toBe("length");
    expect(res.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("a tool turn that answers no call is a 400 naming it", async () => {
    const res = await post("/v1/chat/completions", { model: CHAT, messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_x", content: "1" }], max_tokens: 4 });
    expect(res.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await res.json()).error.param).toBe("messages[1].tool_call_id");
  });
});

describe("tool calling: what agents send", () => {
  // An agent's tool documents its rules at length (a shell tool: ~10,000 characters); " run" is one token of the test model.
  const longDescription = "run ".repeat(1_200);

  it("a tool description longer than 4,096 characters is served, on chat and Responses (the worker refused it, naming no field)", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", description: longDescription, parameters: WEATHER_SCHEMA, strict: true } }];
    const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather in Lima?" }], tools, tool_choice: "required", max_tokens: 80 });
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    Weather.parse(JSON.parse(res.choices[0]?.message.tool_calls?.[0]?.type === "function" ? res.choices[0].message.tool_calls[0].function.arguments : "null"));
    const response = await client.responses.create({ model: CHAT, input: "Weather in Lima?", tools: [{ type: "function", name: "get_weather", description: longDescription, parameters: WEATHER_SCHEMA, strict: true }], tool_choice: "required", max_output_tokens: 80 });
    expect(response.output.find((item) => item.type === "function_call")).toMatchObject({ name: "get_weather" });
  });

  it("more than 128 tools, or an earlier call without an id, is a 400 naming the field (not the worker's refusal with param null)", async () => {
    const many = Array.from({ length: 129 }, (_, i) => ({ type: "function", function: { name: `f${i}` } }));
    const tooMany = await post("/v1/chat/completions", { model: CHAT, messages: [{ role: "user", content: "x" }], tools: many, max_tokens: 2 });
    expect(tooMany.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await tooMany.json()).error).toMatchObject({ code: "INVALID_PARAMS", param: "tools" });
    const responses = await post("/v1/responses", { model: CHAT, input: "x", tools: many.map((t) => ({ type: "function", name: t.function.name })), max_output_tokens: 2 });
    expect(OpenAiErrorSchema.parse(await responses.json()).error).toMatchObject({ code: "INVALID_PARAMS", param: "tools" });
    const noId = await post("/v1/chat/completions", {
      model: CHAT,
      messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, tool_calls: [{ id: "", type: "function", function: { name: "get_time", arguments: "{}" } }] }, { role: "tool", tool_call_id: "", content: "1" }],
      max_tokens: 2,
    });
    expect(noId.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await noId.json()).error).toMatchObject({ code: "INVALID_PARAMS", param: "messages.1.tool_calls.0.id" });
  });

  it("tool_choice allowed_tools (the SDK's newer choice) is refused by name as on Responses, not with a bare 'Invalid input'", async () => {
    const res = await post("/v1/chat/completions", { model: CHAT, messages: [{ role: "user", content: "x" }], tools: TOOLS, tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "get_time" } }] } }, max_tokens: 2 });
    expect(res.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await res.json()).error).toMatchObject({ param: "tool_choice", message: expect.stringMatching(/^tool_choice is not supported: .*allowed_tools/) });
  });
});

describe("logprobs", () => {
  it("chat: each token with its log probability and top_logprobs alternatives, streamed or not", async () => {
    const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Hello" }], max_tokens: 5, logprobs: true, top_logprobs: 3 });
    const content = res.choices[0]?.logprobs?.content ?? [];
    expect(content.length).toBe(5);
    expect(content.map((t) => t.token).join("")).toBe(res.choices[0]?.message.content);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs.length).toBe(3);
      // Greedy decoding picks the most likely token.
      expect(t.top_logprobs[0]?.token).toBe(t.token);
      expect(t.bytes).toEqual([...Buffer.from(t.token, "utf8")]);
    }
    const stream = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Hello" }], max_tokens: 5, logprobs: true, stream: true });
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed.map((t) => [t.token, t.logprob])).toEqual(content.map((t) => [t.token, t.logprob]));
    expect(streamed.every((t) => t.top_logprobs.length === 0)).toBe(true);
  });

  it("completions: the legacy shape with text offsets", async () => {
    const res = await client.completions.create({ model: CHAT, prompt: "Once upon", max_tokens: 4, logprobs: 2 });
    const logprobs = res.choices[0]?.logprobs;
    expect(logprobs?.tokens?.length).toBe(4);
    expect(logprobs?.tokens?.join("")).toBe(res.choices[0]?.text);
    expect(logprobs?.token_logprobs?.every((p) => p <= 0)).toBe(true);
    expect(logprobs?.top_logprobs?.every((top) => Object.keys(top).length >= 1 && Object.keys(top).length <= 2)).toBe(true);
    expect(logprobs?.text_offset?.[0]).toBe(0);
  });

  it("without logprobs, choices carry logprobs: null", async () => {
    const res = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Hello" }], max_tokens: 2 });
    expect(res.choices[0]?.logprobs).toBeNull();
  });
});

describe("sampling: penalties, min_p and logit_bias", () => {
  const complete = async (extra: Record<string, unknown>): Promise<string> => {
    const res = await post("/v1/completions", { model: CHAT, prompt: "The cat", max_tokens: 12, ...extra });
    expect(res.status).toBe(200);
    return ((await res.json()) as { choices: { text: string }[] }).choices[0]?.text ?? "";
  };

  it("frequency, presence and repeat penalties change a greedy output that repeats itself; repeat_last_n 0 turns them off", async () => {
    const plain = await complete({});
    // The random-weight model repeats a word greedily: the penalties have something to act on.
    expect(new Set(plain.trim().split(/\s+/)).size).toBeLessThan(plain.trim().split(/\s+/).length);
    for (const penalty of [{ frequency_penalty: 2 }, { presence_penalty: 2 }, { repeat_penalty: 5 }]) {
      const penalised = await complete(penalty);
      expect(penalised, JSON.stringify(penalty)).not.toBe(plain);
      expect(await complete({ ...penalty, repeat_last_n: 0 }), JSON.stringify(penalty)).toBe(plain);
    }
    // The SDK's own types carry the OpenAI penalties.
    const chat = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Hello" }], max_tokens: 8, frequency_penalty: 1.5, presence_penalty: 0.5 });
    expect(chat.choices[0]?.finish_reason).toBeDefined();
  });

  it("logit_bias: +100 all but forces a token, -100 bans it; ids outside the vocabulary or end-of-generation ids are a 400", async () => {
    const forced = await complete({ logit_bias: { "100": 100 } });
    const piece = forced.slice(0, forced.length / 12);
    expect(piece.length).toBeGreaterThan(0);
    expect(forced).toBe(piece.repeat(12));
    // Both forced, then the first banned: only the second is left.
    const other = await complete({ logit_bias: { "101": 100 } });
    expect(other).not.toBe(forced);
    expect(await complete({ logit_bias: { "100": -100, "101": 100 } })).toBe(other);
    expect(await complete({ logit_bias: {} })).toBe(await complete({}));
    const info = await readGgufFileInfo(testModelPath("tiny-chatml"), { readTensorInfo: false, logWarnings: false });
    const vocabulary = info.metadata.tokenizer.ggml.tokens.length;
    const beyond = await post("/v1/completions", { model: CHAT, prompt: "x", max_tokens: 2, logit_bias: { [String(vocabulary)]: 5 } });
    expect(beyond.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await beyond.json()).error).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringContaining(`outside the model's vocabulary (token ids 0 to ${vocabulary - 1})`) });
    const eos = info.metadata.tokenizer.ggml.eos_token_id;
    const end = await post("/v1/chat/completions", { model: CHAT, messages: [{ role: "user", content: "x" }], max_tokens: 2, logit_bias: { [String(eos)]: -100 } });
    expect(end.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await end.json()).error.message).toContain("an end-of-generation token");
    const notAnId = await post("/v1/completions", { model: CHAT, prompt: "x", max_tokens: 2, logit_bias: { hello: 5 } });
    expect(notAnId.status).toBe(400);
  });

  it("logit_bias -100 on a token the grammar requires (JSON's quote and braces) serves valid JSON instead of crashing the engine", async () => {
    const info = await readGgufFileInfo(testModelPath("tiny-chatml"), { readTensorInfo: false, logWarnings: false });
    const tokens = info.metadata.tokenizer.ggml.tokens;
    // Every token that can write '"' or '{': the schema's output cannot start or name a key without them.
    const banned = Object.fromEntries(['"', "<0x22>", "<0x7B>"].map((piece) => tokens.indexOf(piece)).filter((id) => id >= 0).map((id) => [String(id), -100]));
    expect(Object.keys(banned)).toHaveLength(3);
    // Before: every candidate at -infinity, llama.cpp sampled token 0, the grammar refused it and the engine
    // process died of node-llama-cpp's unhandled rejection (503 ENGINE_CRASHED after a rescue, the pool restarting).
    const parsed = await client.chat.completions.parse({ model: CHAT, messages: [{ role: "user", content: "Weather?" }], max_tokens: 60, logit_bias: banned, response_format: zodResponseFormat(Weather, "weather") });
    expect(Weather.parse(parsed.choices[0]?.message.parsed)).toBeDefined();
    const tool = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Weather in Oslo?" }], max_tokens: 80, logit_bias: banned, tools: TOOLS, tool_choice: "required" });
    expect(tool.choices[0]?.finish_reason).toBe("tool_calls");
    // Without a grammar -100 still bans: the quote never appears.
    const free = await complete({ logit_bias: banned, temperature: 1, seed: 3 });
    expect(free).not.toContain('"');
  });

  it("usage counts the tokens generated, also those without text (a control token a logit_bias forces)", async () => {
    const info = await readGgufFileInfo(testModelPath("tiny-chatml"), { readTensorInfo: false, logWarnings: false });
    const imStart = info.metadata.tokenizer.ggml.tokens.indexOf("<|im_start|>");
    expect(imStart).toBeGreaterThan(0);
    // Each step samples <|im_start|>, which detokenizes to nothing: no text, but 4 tokens were generated
    // (usage said 0: it counted the stream's text chunks).
    const completion = await client.completions.create({ model: CHAT, prompt: "The cat", max_tokens: 4, logit_bias: { [String(imStart)]: 100 } });
    expect(completion.choices[0]).toMatchObject({ text: "", finish_reason: "length" });
    expect(completion.usage?.completion_tokens).toBe(4);
    const chat = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "Hello" }], max_tokens: 3, logit_bias: { [String(imStart)]: 100 } });
    expect(chat.choices[0]?.finish_reason).toBe("length");
    expect(chat.usage?.completion_tokens).toBe(3);
    // Text tokens: one per token, as before.
    const text = await client.completions.create({ model: CHAT, prompt: "The cat", max_tokens: 5, logit_bias: { "100": 100 } });
    expect(text.usage?.completion_tokens).toBe(5);
  });

  it("requests with different penalties and biases at once, and 50 ms apart, get what each gets alone (samplers are per request)", async () => {
    const variants = [{}, { frequency_penalty: 2 }, { repeat_penalty: 5 }, { logit_bias: { "100": 100 } }, { presence_penalty: 2, logit_bias: { "101": 100 } }];
    const alone: string[] = [];
    for (const v of variants) alone.push(await complete(v));
    expect(new Set(alone).size).toBeGreaterThan(2);
    expect(await Promise.all(variants.map((v) => complete(v)))).toEqual(alone);
    const staggered = await Promise.all(variants.map(async (v, i) => {
      await new Promise((r) => setTimeout(r, 50 * i));
      return complete(v);
    }));
    expect(staggered).toEqual(alone);
  });

  it("min_p and the penalties as Ollama options and on /v2", async () => {
    const plain = await complete({ temperature: 1, seed: 7 });
    expect(await complete({ temperature: 1, seed: 7, min_p: 0.9 })).not.toBe(plain);
    const generate = async (options: Record<string, unknown>): Promise<string> => {
      const res = await post("/api/generate", { model: CHAT, prompt: "The cat", stream: false, options: { num_predict: 12, ...options } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { response: string }).response;
    };
    const ollamaPlain = await generate({});
    expect(await generate({ repeat_penalty: 5, repeat_last_n: 32 })).not.toBe(ollamaPlain);
    expect(await generate({ frequency_penalty: 2, presence_penalty: 1, min_p: 0.05 })).not.toBe(ollamaPlain);
    const refused = await post("/api/generate", { model: CHAT, prompt: "x", stream: false, options: { repeat_penalty: 0 } });
    expect(refused.status).toBe(400);
    const task = await post("/v2/tasks", taskRequest(CHAT, { prompt: "The cat", max_tokens: 4, frequency_penalty: 2, logit_bias: { "100": 100 } }));
    expect(task.status).toBe(202);
    const outOfRange = await post("/v2/tasks", taskRequest(CHAT, { prompt: "The cat", max_tokens: 4, presence_penalty: 3 }));
    expect(outOfRange.status).toBe(400);
  });
});

import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";

// Function tools and structured output on POST /v1/responses through the unchanged `openai` client,
// against a real orchestrator and a real worker running llama.cpp on a generated chat model.
const CHAT = testModelName("tiny-chatml");
let cluster: CompatCluster;
let client: OpenAI;

beforeAll(async () => {
  cluster = await startCompatCluster("node-responses-features", ["tiny-chatml"]);
  client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (body: unknown) => cluster.orch.api("/v1/responses", { method: "POST", body: JSON.stringify(body) });

// Enums, booleans and bounded integers: a random-weight model's output stays short under the grammar.
const WEATHER_SCHEMA = {
  type: "object",
  properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, days: { type: "integer", minimum: 1, maximum: 7 }, metric: { type: "boolean" } },
  required: ["city", "days", "metric"],
  additionalProperties: false,
};
const Weather = z.strictObject({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int().min(1).max(7), metric: z.boolean() });
const Time = z.strictObject({ utc: z.boolean() });
const TOOLS: OpenAI.Responses.FunctionTool[] = [
  { type: "function", name: "get_weather", description: "Weather forecast for a city", parameters: WEATHER_SCHEMA, strict: true },
  { type: "function", name: "get_time", description: "Current time", parameters: { type: "object", properties: { utc: { type: "boolean" } }, required: ["utc"], additionalProperties: false }, strict: true },
];
const validates = (name: string, args: string) => (name === "get_weather" ? Weather.parse(JSON.parse(args)) : Time.parse(JSON.parse(args)));
const ask = "What is the weather in Paris?";

describe("Responses API: function tools", () => {
  it("tool_choice required: function_call items with call_id whose arguments validate", async () => {
    const response = await client.responses.create({ model: CHAT, input: ask, tools: TOOLS, tool_choice: "required", max_output_tokens: 80 });
    expect(response.status).toBe("completed");
    const calls = response.output.filter((item) => item.type === "function_call");
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call).toMatchObject({ type: "function_call", id: expect.stringMatching(/^fc_/), call_id: expect.stringMatching(/^call_/), status: "completed" });
      validates(call.name, call.arguments);
    }
    expect(response.tools).toHaveLength(2);
  });

  it("a named function, streamed: output_item.added, function_call_arguments.delta/done, output_item.done assemble to valid arguments", async () => {
    const stream = await client.responses.create({ model: CHAT, input: ask, tools: TOOLS, tool_choice: { type: "function", name: "get_weather" }, max_output_tokens: 80, stream: true });
    const types: string[] = [];
    let deltas = "";
    let doneArgs = "";
    let added: OpenAI.Responses.ResponseOutputItem | undefined;
    let itemDone: OpenAI.Responses.ResponseOutputItem | undefined;
    let completed: OpenAI.Responses.Response | undefined;
    let sequence = -1;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).toBe(++sequence);
      if (event.type === "response.output_item.added") added = event.item;
      if (event.type === "response.function_call_arguments.delta") deltas += event.delta;
      if (event.type === "response.function_call_arguments.done") {
        doneArgs = event.arguments;
        expect(event.name).toBe("get_weather");
      }
      if (event.type === "response.output_item.done") itemDone = event.item;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(types.slice(0, 3)).toEqual(["response.created", "response.in_progress", "response.output_item.added"]);
    expect(types.slice(-3)).toEqual(["response.function_call_arguments.done", "response.output_item.done", "response.completed"]);
    expect(added).toMatchObject({ type: "function_call", name: "get_weather", arguments: "", status: "in_progress", call_id: expect.stringMatching(/^call_/) });
    expect(doneArgs).toBe(deltas);
    Weather.parse(JSON.parse(deltas));
    expect(itemDone).toMatchObject({ type: "function_call", arguments: deltas, status: "completed" });
    expect(completed?.output).toEqual([itemDone]);
  });

  it("the SDK's stream helper assembles the same call (finalResponse)", async () => {
    const stream = client.responses.stream({ model: CHAT, input: ask, tools: TOOLS, tool_choice: { type: "function", name: "get_time" }, max_output_tokens: 40 });
    const final = await stream.finalResponse();
    const call = final.output[0];
    if (call?.type !== "function_call") throw new Error(`expected a function_call, got ${JSON.stringify(final.output)}`);
    Time.parse(JSON.parse(call.arguments));
  });

  it("a follow-up turn with the function_call and its function_call_output gets text", async () => {
    const first = await client.responses.create({ model: CHAT, input: ask, tools: TOOLS, tool_choice: { type: "function", name: "get_weather" }, max_output_tokens: 80 });
    const call = first.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function_call");
    const answer = await client.responses.create({
      model: CHAT,
      tools: TOOLS,
      tool_choice: "none",
      max_output_tokens: 6,
      input: [{ role: "user", content: ask }, call, { type: "function_call_output", call_id: call.call_id, output: JSON.stringify({ temperature_c: 18, sky: "clear" }) }],
    });
    expect(answer.status).toBe("incomplete");
    expect(answer.output.map((item) => item.type)).toEqual(["message"]);
    expect(answer.output_text.length).toBeGreaterThan(0);
  });

  it("refuses by name: an output answering no call, a hosted tool, a tool_choice naming no tool", async () => {
    const orphan = await post({ model: CHAT, input: [{ role: "user", content: ask }, { type: "function_call_output", call_id: "call_x", output: "1" }] });
    expect(orphan.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await orphan.json()).error).toMatchObject({ param: "input[1].call_id", message: expect.stringMatching(/earlier function_call item/) });
    const hosted = await post({ model: CHAT, input: ask, tools: [{ type: "web_search" }] });
    expect(OpenAiErrorSchema.parse(await hosted.json()).error).toMatchObject({ param: "tools", message: expect.stringMatching(/^tools is not supported: .*hosted tools/) });
    const unnamed = await post({ model: CHAT, input: ask, tools: TOOLS, tool_choice: { type: "function", name: "nope" } });
    expect(OpenAiErrorSchema.parse(await unnamed.json()).error.message).toMatch(/nope, which is not among the tools/);
    const schemaKeyword = await post({ model: CHAT, input: ask, tools: [{ type: "function", name: "f", parameters: { type: "object", properties: { s: { type: "string", pattern: "^a" } } } }] });
    expect(OpenAiErrorSchema.parse(await schemaKeyword.json()).error.message).toContain("tools[0].parameters.properties.s uses pattern");
  });
});

describe("Responses API: text.format", () => {
  it("json_schema (strict): the output parses and validates, streamed or not", async () => {
    const format = { type: "json_schema" as const, name: "weather", schema: WEATHER_SCHEMA, strict: true };
    for (const temperature of [0, 0.8]) {
      const response = await client.responses.create({ model: CHAT, input: "Weather as JSON", max_output_tokens: 60, temperature, text: { format } });
      expect(response.status).toBe("completed");
      Weather.parse(JSON.parse(response.output_text));
      expect(response.text?.format).toMatchObject({ type: "json_schema", name: "weather" });
    }
    const stream = await client.responses.create({ model: CHAT, input: "Weather as JSON", max_output_tokens: 60, text: { format }, stream: true });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    Weather.parse(JSON.parse(text));
  });

  it("responses.parse with zodTextFormat: output_parsed is the validated object", async () => {
    const response = await client.responses.parse({ model: CHAT, input: "Weather as JSON", max_output_tokens: 60, text: { format: zodTextFormat(Weather, "weather") } });
    expect(Weather.parse(response.output_parsed)).toEqual(response.output_parsed);
  });

  it("json_object: the output is JSON (or its start, when cut at max_output_tokens)", async () => {
    const response = await client.responses.create({ model: CHAT, input: "JSON please", max_output_tokens: 200, text: { format: { type: "json_object" } } });
    if (response.status === "completed") expect(() => JSON.parse(response.output_text) as unknown).not.toThrow();
    else expect(response.output_text.startsWith("{")).toBe(true);
  });

  it("a schema keyword the grammar cannot express, and a format together with callable tools, are 400s naming them", async () => {
    const pattern = await post({ model: CHAT, input: "x", text: { format: { type: "json_schema", name: "s", schema: { type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } } } } });
    expect(pattern.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await pattern.json()).error).toMatchObject({ param: "text.format.schema", message: expect.stringContaining("text.format.schema.properties.code uses pattern") });
    const both = await post({ model: CHAT, input: "x", tools: TOOLS, text: { format: { type: "json_object" } } });
    expect(OpenAiErrorSchema.parse(await both.json()).error.param).toBe("text.format");
  });
});

describe("Responses API: include message.output_text.logprobs", () => {
  const LOGPROBS: OpenAI.Responses.ResponseIncludable[] = ["message.output_text.logprobs"];
  const base = { model: CHAT, input: "Hello", max_output_tokens: 5, temperature: 0 };
  const utf8 = (token: string) => [...Buffer.from(token, "utf8")];
  const textPart = (response: OpenAI.Responses.Response) => {
    const message = response.output.find((item) => item.type === "message");
    const part = message?.type === "message" ? message.content[0] : undefined;
    if (part?.type !== "output_text") throw new Error(`no output_text part in ${JSON.stringify(response.output)}`);
    return part;
  };

  it("non-stream: one entry per output token, joining to the text, with bytes and top_logprobs alternatives (most likely first)", async () => {
    const response = await client.responses.create({ ...base, include: LOGPROBS, top_logprobs: 3 });
    const part = textPart(response);
    const logprobs = part.logprobs ?? [];
    expect(logprobs.length).toBe(response.usage?.output_tokens);
    expect(logprobs.length).toBe(5);
    expect(logprobs.map((t) => t.token).join("")).toBe(part.text);
    expect(response.top_logprobs).toBe(3);
    for (const t of logprobs) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes).toEqual(utf8(t.token));
      expect(t.top_logprobs.length).toBe(3);
      // Greedy decoding (temperature 0) picks the most likely token; the alternatives come most likely first.
      expect(t.top_logprobs[0]).toEqual({ token: t.token, logprob: t.logprob, bytes: t.bytes });
      const values = t.top_logprobs.map((a) => a.logprob);
      expect(values.every((v) => v <= 0)).toBe(true);
      expect([...values].sort((a, b) => b - a)).toEqual(values);
      for (const a of t.top_logprobs) expect(a.bytes).toEqual(utf8(a.token));
    }
  });

  it("streamed: each output_text.delta carries the tokens of its text; output_text.done and the final response carry them all", async () => {
    const reference = textPart(await client.responses.create({ ...base, include: LOGPROBS, top_logprobs: 2 })).logprobs ?? [];
    const stream = await client.responses.create({ ...base, include: LOGPROBS, top_logprobs: 2, stream: true });
    const streamed: OpenAI.Responses.ResponseTextDeltaEvent.Logprob[] = [];
    let text = "";
    let done: OpenAI.Responses.ResponseTextDoneEvent | undefined;
    let partDone: OpenAI.Responses.ResponseContentPartDoneEvent["part"] | undefined;
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") {
        expect(event.logprobs.map((t) => t.token).join("")).toBe(event.delta);
        for (const t of event.logprobs) expect(t.top_logprobs?.length).toBe(2);
        streamed.push(...event.logprobs);
        text += event.delta;
      }
      if (event.type === "response.output_text.done") done = event;
      if (event.type === "response.content_part.done") partDone = event.part;
      if (event.type === "response.completed" || event.type === "response.incomplete") final = event.response;
    }
    expect(streamed.length).toBe(5);
    // The same greedy tokens as without streaming, in the event shape (no bytes).
    expect(streamed).toEqual(reference.map((t) => ({ token: t.token, logprob: t.logprob, top_logprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob })) })));
    expect(done?.text).toBe(text);
    expect(done?.logprobs).toEqual(streamed);
    expect(partDone).toMatchObject({ type: "output_text", text, logprobs: reference });
    if (final === undefined) throw new Error("no final response");
    expect(textPart(final).logprobs).toEqual(reference);
  });

  it("the include without top_logprobs: each token's own log probability, no alternatives", async () => {
    const response = await client.responses.create({ ...base, include: LOGPROBS });
    const logprobs = textPart(response).logprobs ?? [];
    expect(logprobs.length).toBe(5);
    expect(logprobs.map((t) => t.token).join("")).toBe(response.output_text);
    expect(logprobs.every((t) => t.logprob <= 0 && t.top_logprobs.length === 0)).toBe(true);
    expect(response.top_logprobs).toBe(0);
  });

  it("top_logprobs without the include is accepted and reports nothing, as OpenAI does", async () => {
    const response = await client.responses.create({ ...base, top_logprobs: 4 });
    expect(response.top_logprobs).toBe(4);
    expect(textPart(response).logprobs).toEqual([]);
    const stream = await client.responses.create({ ...base, top_logprobs: 4, stream: true });
    for await (const event of stream) if (event.type === "response.output_text.delta") expect(event.logprobs).toEqual([]);
  });

  it("function calls carry no logprobs: the call validates and the response has no text part", async () => {
    const response = await client.responses.create({ model: CHAT, input: ask, tools: TOOLS, tool_choice: { type: "function", name: "get_time" }, max_output_tokens: 40, include: LOGPROBS, top_logprobs: 2 });
    const call = response.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error(`expected a function_call, got ${JSON.stringify(response.output)}`);
    Time.parse(JSON.parse(call.arguments));
    expect(response.output.some((item) => item.type === "message")).toBe(false);
  });

  it("refuses by name: another include value, more than 20 alternatives", async () => {
    const other = await post({ ...base, include: ["message.output_text.logprobs", "reasoning.encrypted_content"] });
    expect(other.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await other.json()).error).toMatchObject({ param: "include", message: expect.stringMatching(/^include is not supported: .*reasoning\.encrypted_content/) });
    const many = await post({ ...base, include: ["message.output_text.logprobs"], top_logprobs: 21 });
    expect(many.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await many.json()).error.param).toMatch(/top_logprobs/);
  });
});

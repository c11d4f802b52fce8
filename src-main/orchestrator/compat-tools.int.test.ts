import Anthropic from "@anthropic-ai/sdk";
import { Ollama, type Message as OllamaMessage, type Tool as OllamaTool } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AnthropicErrorSchema } from "../../src-shared/anthropic/anthropic-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";

// Tool calling through the unchanged @anthropic-ai/sdk and ollama clients, against a real orchestrator
// and a real worker running llama.cpp on a generated chat model (random weights: the grammar keeps calls valid).
const CHAT = testModelName("tiny-chatml");
let cluster: CompatCluster;
let anthropic: Anthropic;
let ollama: Ollama;

beforeAll(async () => {
  cluster = await startCompatCluster("node-compat-tools", ["tiny-chatml"]);
  anthropic = new Anthropic({ baseURL: cluster.orch.url, apiKey: cluster.orch.token, maxRetries: 0 });
  ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

// Enums, booleans and bounded integers: a random-weight model's output stays short under the grammar.
const WEATHER_SCHEMA = {
  type: "object" as const,
  properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, days: { type: "integer", minimum: 1, maximum: 7 }, metric: { type: "boolean" } },
  required: ["city", "days", "metric"],
  additionalProperties: false,
};
const Weather = z.strictObject({ city: z.enum(["Paris", "Oslo", "Lima"]), days: z.int().min(1).max(7), metric: z.boolean() });
const TIME_SCHEMA = { type: "object" as const, properties: { utc: { type: "boolean" } }, required: ["utc"], additionalProperties: false };
const Time = z.strictObject({ utc: z.boolean() });
const validates = (name: string, input: unknown) => (name === "get_weather" ? Weather.parse(input) : Time.parse(input));

describe("Anthropic tool use through @anthropic-ai/sdk", () => {
  const TOOLS: Anthropic.Tool[] = [
    { name: "get_weather", description: "Weather forecast for a city", input_schema: WEATHER_SCHEMA },
    { name: "get_time", description: "Current time", input_schema: TIME_SCHEMA },
  ];
  const ask: Anthropic.MessageParam = { role: "user", content: "What is the weather in Paris?" };

  it("tool_choice tool: a tool_use block whose input validates, stop_reason tool_use", async () => {
    const message = await anthropic.messages.create({ model: CHAT, max_tokens: 80, messages: [ask], tools: TOOLS, tool_choice: { type: "tool", name: "get_weather" } });
    expect(message.stop_reason).toBe("tool_use");
    const use = message.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather" });
    Weather.parse(use?.input);
  });

  it("a call cut by max_tokens ends with stop_reason max_tokens (not model_context_window_exceeded: the context is far from full), streamed or not", async () => {
    // The call's syntax (name, framing) takes from max_tokens without being counted as output, so the
    // output count alone would say the ceiling was not reached; the worker says what ended it.
    const request = { model: CHAT, max_tokens: 8, messages: [ask], tools: TOOLS, tool_choice: { type: "tool" as const, name: "get_weather" } };
    const message = await anthropic.messages.create(request);
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.input_tokens + message.usage.output_tokens).toBeLessThan(4096 / 2);
    const final = await anthropic.messages.stream(request).finalMessage();
    expect(final.stop_reason).toBe("max_tokens");
  });

  it("tool_choice any: some tool is called with valid input", async () => {
    const message = await anthropic.messages.create({ model: CHAT, max_tokens: 80, messages: [ask], tools: TOOLS, tool_choice: { type: "any" } });
    expect(message.stop_reason).toBe("tool_use");
    const use = message.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    validates(use.name, use.input);
  });

  it("streamed: content_block_start (tool_use) + input_json_delta + content_block_stop assemble to valid input", async () => {
    const stream = anthropic.messages.stream({ model: CHAT, max_tokens: 80, messages: [ask], tools: TOOLS, tool_choice: { type: "tool", name: "get_weather" } });
    let partial = "";
    let started: Anthropic.ContentBlock | undefined;
    let stopped = 0;
    for await (const event of stream) {
      if (event.type === "content_block_start" && event.content_block.type === "tool_use") started = event.content_block;
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") partial += event.delta.partial_json;
      if (event.type === "content_block_stop") stopped++;
    }
    expect(started).toMatchObject({ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather", input: {} });
    expect(stopped).toBeGreaterThan(0);
    Weather.parse(JSON.parse(partial));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const use = final.content.find((b) => b.type === "tool_use");
    expect(use?.type === "tool_use" ? use.input : undefined).toEqual(JSON.parse(partial));
  });

  it("a follow-up turn with a tool_result gets text", async () => {
    const first = await anthropic.messages.create({ model: CHAT, max_tokens: 80, messages: [ask], tools: TOOLS, tool_choice: { type: "tool", name: "get_weather" } });
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    const answer = await anthropic.messages.create({
      model: CHAT,
      max_tokens: 6,
      tools: TOOLS,
      messages: [ask, { role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: JSON.stringify({ temperature_c: 18, sky: "clear" }) }] }],
      tool_choice: { type: "none" },
    });
    expect(answer.stop_reason).toBe("max_tokens");
    expect(answer.content).toEqual([{ type: "text", text: expect.any(String) }]);
    expect(answer.content[0]?.type === "text" ? answer.content[0].text.length : 0).toBeGreaterThan(0);
    // A result given as a plain-text document (and is_error) is read as its text; an image result is refused by name.
    const history: Anthropic.MessageParam[] = [ask, { role: "assistant", content: first.content }];
    const asDocument = await anthropic.messages.countTokens({ model: CHAT, tools: TOOLS, messages: [...history, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "18 degrees" } }] }] }] });
    const asText = await anthropic.messages.countTokens({ model: CHAT, tools: TOOLS, messages: [...history, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "18 degrees\n\n" }] }] });
    expect(asDocument.input_tokens).toBe(asText.input_tokens);
    const image = anthropic.messages.create({ model: CHAT, max_tokens: 2, tools: TOOLS, messages: [...history, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, is_error: true, content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } }] }] }] });
    await expect(image).rejects.toMatchObject({ status: 400, error: { error: { message: expect.stringMatching(/^messages\[2\]\.content\[0\]\.content: only text blocks and plain-text documents/) } } });
  });

  it("a tool_result that answers no tool_use, and a tool_choice naming no tool, are 400s naming them", async () => {
    const post = (body: unknown) => fetch(`${cluster.orch.url}/v1/messages`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", "x-api-key": cluster.orch.token } });
    const orphan = await post({ model: CHAT, max_tokens: 4, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "1" }] }] });
    expect(orphan.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await orphan.json()).error.message).toMatch(/^messages\[0\]\.content\[0\]\.tool_use_id must name a tool_use block/);
    const unnamed = await post({ model: CHAT, max_tokens: 4, messages: [ask], tools: TOOLS, tool_choice: { type: "tool", name: "nope" } });
    expect(unnamed.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await unnamed.json()).error.message).toMatch(/nope, which is not among the tools/);
  });
});

// A tool as Claude Code and MCP servers write them: value constraints no llama.cpp grammar here expresses
// (format uri, pattern, number bounds, an open integer bound, uniqueItems) next to the shape it does.
const FETCH_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object" as const,
  properties: {
    url: { type: "string", format: "uri", maxLength: 24, description: "The URL to fetch content from" },
    pattern: { type: "string", pattern: "^[a-z*]+$", maxLength: 8 },
    timeout: { type: "number", minimum: 0, maximum: 600000 },
    lines: { type: "integer", minimum: 1 },
    tags: { type: "array", items: { type: "string", maxLength: 4 }, maxItems: 2, uniqueItems: true },
  },
  required: ["url", "timeout", "lines"],
  additionalProperties: false,
};
const FetchShape = z.strictObject({ url: z.string().max(24), pattern: z.string().max(8).optional(), timeout: z.number(), lines: z.int(), tags: z.array(z.string().max(4)).max(2).optional() });

describe("tool schemas with value constraints a grammar cannot express (Claude Code, MCP servers)", () => {
  it("Anthropic: served for a tool not marked strict, the call keeps the schema's shape; strict: true is a 400 naming the keyword", async () => {
    const message = await anthropic.messages.create({ model: CHAT, max_tokens: 300, messages: [{ role: "user", content: "Fetch the docs" }], tools: [{ name: "WebFetch", description: "Fetch a URL", input_schema: FETCH_SCHEMA }], tool_choice: { type: "tool", name: "WebFetch" } });
    expect(message.stop_reason).toBe("tool_use");
    FetchShape.parse(message.content.find((b) => b.type === "tool_use")?.input);
    const strict = await fetch(`${cluster.orch.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": cluster.orch.token, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: CHAT, max_tokens: 50, messages: [{ role: "user", content: "x" }], tools: [{ name: "WebFetch", strict: true, input_schema: FETCH_SCHEMA }] }),
    });
    expect(strict.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await strict.json()).error.message).toContain("tools[0].input_schema.properties.url uses format \"uri\"");
  });

  it("Anthropic: untyped values (an MCP tool's z.any() / record of unknowns) are served as any JSON under the grammar", async () => {
    const input_schema = { type: "object" as const, properties: { action: { type: "string", enum: ["get", "set"] }, value: { description: "any value" }, options: { type: "object", additionalProperties: {} } }, required: ["action", "value"] };
    const message = await anthropic.messages.create({ model: CHAT, max_tokens: 400, messages: [{ role: "user", content: "Set it" }], tools: [{ name: "Config", input_schema }], tool_choice: { type: "tool", name: "Config" } });
    // Random weights may nest values until max_tokens; a finished call has the schema's shape.
    expect(["tool_use", "max_tokens"]).toContain(message.stop_reason);
    if (message.stop_reason === "tool_use") z.object({ action: z.enum(["get", "set"]), value: z.unknown(), options: z.record(z.string(), z.unknown()).optional() }).strict().parse(message.content.find((b) => b.type === "tool_use")?.input);
  });

  it("OpenAI chat: served for a function not marked strict; strict: true is a 400 naming the keyword", async () => {
    const post = (strict: boolean | undefined) =>
      fetch(`${cluster.orch.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${cluster.orch.token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: CHAT, max_tokens: 300, messages: [{ role: "user", content: "Fetch the docs" }], tools: [{ type: "function", function: { name: "WebFetch", parameters: FETCH_SCHEMA, ...(strict !== undefined ? { strict } : {}) } }], tool_choice: { type: "function", function: { name: "WebFetch" } } }),
      });
    const loose = await post(undefined);
    expect(loose.status).toBe(200);
    const body = (await loose.json()) as { choices: { finish_reason: string; message: { tool_calls?: { function: { arguments: string } }[] } }[] };
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    FetchShape.parse(JSON.parse(body.choices[0]?.message.tool_calls?.[0]?.function.arguments ?? "null"));
    const strict = await post(true);
    expect(strict.status).toBe(400);
    const error = ((await strict.json()) as { error: { message: string; param: string } }).error;
    expect(error.param).toBe("tools[0].function.parameters");
    expect(error.message).toContain("tools[0].function.parameters.properties.url uses format \"uri\"");
  });
});

describe("Anthropic count_tokens through @anthropic-ai/sdk", () => {
  const TOOLS: Anthropic.Tool[] = [{ name: "get_weather", description: "Weather forecast for a city", input_schema: WEATHER_SCHEMA }];
  const ask: Anthropic.MessageParam = { role: "user", content: "What is the weather in Paris?" };

  it("counts the prompt a Messages request would decode, as the engine measures it (tools and system included)", async () => {
    const plain = await anthropic.messages.countTokens({ model: CHAT, messages: [ask] });
    const withSystem = await anthropic.messages.countTokens({ model: CHAT, system: "You are terse.", messages: [ask] });
    const withTools = await anthropic.messages.countTokens({ model: CHAT, messages: [ask], tools: TOOLS });
    console.log(`anthropic countTokens: plain ${plain.input_tokens}, with system ${withSystem.input_tokens}, with one tool ${withTools.input_tokens}`);
    expect(plain.input_tokens).toBeGreaterThan(0);
    expect(withSystem.input_tokens).toBeGreaterThan(plain.input_tokens);
    // The chat wrapper documents the function in the prompt: hundreds of tokens.
    expect(withTools.input_tokens).toBeGreaterThan(plain.input_tokens + 50);
    for (const [count, tools] of [[plain, undefined], [withTools, TOOLS]] as const) {
      const request = { model: CHAT, messages: [ask], ...(tools !== undefined ? { tools } : {}) };
      // The same request, run: its usage reports the same number.
      expect((await anthropic.messages.create({ ...request, max_tokens: 1 })).usage.input_tokens).toBe(count.input_tokens);
      // A max_tokens the context cannot hold is a ceiling (Anthropic clients send large ones): answered, with
      // the same prompt count, ending at the context's end unless the model stops first.
      const ceiling = await anthropic.messages.create({ ...request, max_tokens: 4096 });
      expect(ceiling.usage.input_tokens).toBe(count.input_tokens);
      expect(["model_context_window_exceeded", "end_turn", "tool_use"]).toContain(ceiling.stop_reason);
      if (ceiling.stop_reason === "model_context_window_exceeded") expect(ceiling.usage.input_tokens + ceiling.usage.output_tokens).toBe(4096);
    }
  });

  it("is a task like any other (visible in /v2/tasks), and refuses what Messages refuses, in Anthropic's shape", async () => {
    const { response } = await anthropic.messages.countTokens({ model: CHAT, messages: [ask] }).withResponse();
    const taskId = response.headers.get("x-task-id");
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await (await cluster.orch.api(`/v2/tasks/${taskId ?? ""}`)).json()) as { state: string; tokens_out: number })).toMatchObject({ state: "completed", tokens_out: 0 });
    const post = (body: unknown) => fetch(`${cluster.orch.url}/v1/messages/count_tokens`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", "x-api-key": cluster.orch.token } });
    const image = await post({ model: CHAT, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } }] }] });
    expect(image.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await image.json()).error.message).toMatch(/^messages\[0\]\.content\[0\] \(image block\) is not supported/);
    const unknown = await post({ model: CHAT, messages: [ask], max_tokens: 5 });
    expect(AnthropicErrorSchema.parse(await unknown.json()).error.message).toMatch(/^max_tokens is not supported: it is not a count_tokens parameter/);
    await expect(anthropic.messages.countTokens({ model: "no-such-model", messages: [ask] })).rejects.toMatchObject({ status: 404 });
  });
});

describe("Ollama tool calls through the ollama client", () => {
  const TOOLS: OllamaTool[] = [
    { type: "function", function: { name: "get_weather", description: "Weather forecast for a city", parameters: WEATHER_SCHEMA as unknown as OllamaTool["function"]["parameters"] } },
    { type: "function", function: { name: "get_time", description: "Current time", parameters: TIME_SCHEMA as unknown as OllamaTool["function"]["parameters"] } },
  ];
  const ask: OllamaMessage = { role: "user", content: "What is the weather in Paris?" };

  it("a call, when the model makes one, validates (stream and not); the model decides (Ollama has no tool_choice)", async () => {
    let calls = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const res = await ollama.chat({ model: CHAT, messages: [ask], tools: TOOLS, options: { num_predict: 60, seed, temperature: 1 } });
      expect(res).toMatchObject({ done: true, message: { role: "assistant" } });
      for (const call of res.message.tool_calls ?? []) {
        calls++;
        validates(call.function.name, call.function.arguments);
      }
      let streamed: OllamaMessage["tool_calls"] = [];
      let text = "";
      for await (const part of await ollama.chat({ model: CHAT, messages: [ask], tools: TOOLS, stream: true, options: { num_predict: 60, seed, temperature: 1 } })) {
        streamed = [...(streamed ?? []), ...(part.message.tool_calls ?? [])];
        text += part.message.content;
      }
      // The same seed: the same answer, streamed.
      expect(streamed).toEqual(res.message.tool_calls ?? []);
      expect(text).toBe(res.message.content);
    }
    console.log(`ollama tools: ${calls} of 6 answers called a tool`);
  });

  it("a conversation with an assistant tool call and a tool turn gets an answer", async () => {
    const res = await ollama.chat({
      model: CHAT,
      messages: [ask, { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris", days: 1, metric: true } } }] }, { role: "tool", content: JSON.stringify({ temperature_c: 18 }), tool_name: "get_weather" } as OllamaMessage],
      tools: TOOLS,
      options: { num_predict: 6 },
    });
    expect(res.done).toBe(true);
    expect(res.message.content.length + (res.message.tool_calls?.length ?? 0)).toBeGreaterThan(0);
    const plain = await ollama.chat({ model: CHAT, messages: [ask, { role: "assistant", content: "", tool_calls: [{ function: { name: "get_time", arguments: { utc: true } } }] }, { role: "tool", content: "12:00" }], options: { num_predict: 5 } });
    expect(plain).toMatchObject({ done: true, done_reason: "length", eval_count: 5 });
    expect(plain.message.content.length).toBeGreaterThan(0);
  });

  it("/api/show lists tools among the capabilities of a model with a chat template", async () => {
    const show = await ollama.show({ model: CHAT });
    expect(show.capabilities).toEqual(["completion", "tools", "embedding"]);
  });

  it("a tool turn that answers no call is a 400 naming it", async () => {
    await expect(ollama.chat({ model: CHAT, messages: [ask, { role: "tool", content: "1" }] })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^messages\[1\] is a tool turn/) });
  });

  it("tool_choice as ollama-ai-provider-v2 sends it (the AI SDK's toolChoice) is honoured: required and a named function force that call, none offers no tools", async () => {
    // The body the Vercel AI SDK's Ollama provider posts for generateText({ tools, toolChoice }): top-level
    // max_output_tokens, think false and tool_choice next to Ollama's fields. It used to be a 400 on tool_choice.
    const chat = async (toolChoice: unknown) => {
      const res = await cluster.orch.api("/api/chat", { method: "POST", body: JSON.stringify({ model: CHAT, messages: [ask], max_output_tokens: 80, think: false, stream: false, tools: TOOLS, tool_choice: toolChoice }) });
      const body = (await res.json()) as { message?: OllamaMessage; error?: string };
      return { status: res.status, body };
    };
    const required = await chat("required");
    expect(required.status, JSON.stringify(required.body)).toBe(200);
    const call = required.body.message?.tool_calls?.[0];
    if (call === undefined) throw new Error(`tool_choice required made no call: ${JSON.stringify(required.body)}`);
    validates(call.function.name, call.function.arguments);
    const named = await chat({ type: "function", name: "get_time" });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    expect(named.body.message?.tool_calls?.map((c) => c.function.name)).toEqual(["get_time"]);
    Time.parse(named.body.message?.tool_calls?.[0]?.function.arguments);
    const none = await chat("none");
    expect(none.status).toBe(200);
    expect(none.body.message?.tool_calls ?? []).toEqual([]);
    expect((await chat("auto")).status).toBe(200);
    const unknown = await chat({ type: "function", name: "get_stock" });
    expect(unknown).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^tool_choice names get_stock, which is not among the tools/) } });
    const hosted = await chat({ type: "web_search_preview" });
    expect(hosted).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^tool_choice .* is not supported/) } });
  });
});

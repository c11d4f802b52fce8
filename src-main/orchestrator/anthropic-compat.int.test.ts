import Anthropic from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicErrorSchema } from "../../src-shared/anthropic/anthropic-error.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { z } from "zod";

// The Anthropic Messages surface against a real orchestrator and a real worker agent running llama.cpp.
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");
let cluster: CompatCluster;
let client: Anthropic;

beforeAll(async () => {
  // Two models: the model list pages.
  cluster = await startCompatCluster("node-anthropic", ["tiny", "tiny-b"]);
  // apiKey: the SDK sends it as x-api-key, as it does to Anthropic.
  client = new Anthropic({ baseURL: cluster.orch.url, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) => fetch(`${cluster.orch.url}/v1/messages`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", "x-api-key": cluster.orch.token, ...headers } });

describe("Anthropic Messages API through @anthropic-ai/sdk", () => {
  it("non-stream: a message with system prompt, text content, stop reason and usage", async () => {
    const message = await client.messages.create({ model: TINY, max_tokens: 6, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }] });
    expect(message).toMatchObject({ type: "message", role: "assistant", model: TINY, stop_reason: "max_tokens", stop_sequence: null, usage: { output_tokens: 6 } });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0]?.type).toBe("text");
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // Text blocks in system and content are the same request.
    const blocks = await client.messages.create({ model: TINY, max_tokens: 6, system: [{ type: "text", text: "Be brief." }], messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }] });
    expect(blocks.content).toEqual(message.content);
  });

  it("stop_sequences end the message with stop_reason stop_sequence", async () => {
    const free = await client.messages.create({ model: TINY, max_tokens: 24, messages: [{ role: "user", content: "Say hello" }] });
    const text = free.content[0]?.type === "text" ? free.content[0].text : "";
    const stop = text.trim().slice(3, 6);
    expect(stop.length).toBe(3);
    const stopped = await client.messages.create({ model: TINY, max_tokens: 24, messages: [{ role: "user", content: "Say hello" }], stop_sequences: [stop] });
    expect(stopped).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: stop });
    expect(stopped.content[0]?.type === "text" ? stopped.content[0].text : "").not.toContain(stop);
    // Several: the one that matched is named (as Anthropic does), streamed too.
    const several = { model: TINY, max_tokens: 24, messages: [{ role: "user" as const, content: "Say hello" }], stop_sequences: ["\u0000never", stop, "\u0001never"] };
    expect(await client.messages.create(several)).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: stop });
    expect(await client.messages.stream(several).finalMessage()).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: stop });
  });

  it("a last assistant turn is a prefill: the model continues it and only the continuation comes back", async () => {
    const ask = (messages: Anthropic.MessageParam[], maxTokens: number) => client.messages.create({ model: TINY, max_tokens: maxTokens, messages });
    const textOf = (m: Anthropic.Message) => (m.content[0]?.type === "text" ? m.content[0].text : "");
    const whole = textOf(await ask([{ role: "user", content: "Say hello" }], 24));
    // Greedy decoding continued from its own first words gives the rest of the same answer (two words:
    // the first alone sits right after the template's tag, where the text tokenizes differently).
    const cut = whole.indexOf(" ", whole.indexOf(" ", 1) + 1);
    expect(cut, `a second word boundary in ${JSON.stringify(whole)}`).toBeGreaterThan(0);
    const prefill = whole.slice(0, cut);
    const continued = await ask([{ role: "user", content: "Say hello" }, { role: "assistant", content: prefill }], 8);
    expect(continued.stop_reason).toBe("max_tokens");
    expect(whole.startsWith(prefill + textOf(continued)), `${JSON.stringify(prefill)} + ${JSON.stringify(textOf(continued))} continues ${JSON.stringify(whole)}`).toBe(true);
    // A closed assistant turn with tool calls cannot be continued: its results must follow.
    const res = await post({ model: TINY, max_tokens: 4, messages: [{ role: "user", content: "hi" }, { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] }], tools: [{ name: "f", input_schema: { type: "object" } }] });
    expect(res.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await res.json()).error.message).toMatch(/calls tools; send their results/);
  });

  it("stream: message_start, content_block_start, ping, content_block_delta*, content_block_stop, message_delta, message_stop", async () => {
    const stream = client.messages.stream({ model: TINY, max_tokens: 6, messages: [{ role: "user", content: "Say hello" }] });
    const types: string[] = [];
    let text = "";
    let announced = -1;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "message_start") announced = event.message.usage.input_tokens;
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(types).toEqual(["message_start", "content_block_start", ...Array<string>(6).fill("content_block_delta"), "content_block_stop", "message_delta", "message_stop"]);
    const final = await stream.finalMessage();
    expect(final).toMatchObject({ stop_reason: "max_tokens", usage: { output_tokens: 6 }, content: [{ type: "text", text }] });
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    // message_start already carries the prompt's size (LangChain's ChatAnthropic reads input_tokens only there).
    expect(announced).toBe(final.usage.input_tokens);
    // The SDK drops ping before the caller sees it: check the wire.
    const raw = await (await post({ model: TINY, max_tokens: 2, stream: true, messages: [{ role: "user", content: "hi" }] })).text();
    expect([...raw.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
  });

  it("authenticates with Bearer as well as x-api-key, and answers errors in Anthropic's shape", async () => {
    const bearer = new Anthropic({ baseURL: cluster.orch.url, apiKey: null, authToken: cluster.orch.token, maxRetries: 0 });
    expect((await bearer.messages.create({ model: TINY, max_tokens: 2, messages: [{ role: "user", content: "hi" }] })).usage.output_tokens).toBe(2);
    const wrongKey = new Anthropic({ baseURL: cluster.orch.url, apiKey: "wrong-key-wrong-key-wrong-key-wrong-key", maxRetries: 0 });
    await expect(wrongKey.messages.create({ model: TINY, max_tokens: 2, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(client.messages.create({ model: "no-such-model", max_tokens: 2, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const noMax = await post({ model: TINY, messages: [{ role: "user", content: "hi" }] });
    expect(noMax.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await noMax.json())).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/max_tokens/) } });
  });

  it.each([
    ["mcp_servers", { mcp_servers: [{ type: "url", url: "https://example.com/mcp", name: "x" }] }],
    // Named by the block's place and type, so a long history says which block.
    ["messages[0].content[0] (image block)", { messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } }] }] }],
    ["thinking", { thinking: { type: "enabled", budget_tokens: 1024 } }],
  ])("refuses %s with a 400 that names it", async (param, extra) => {
    const res = await post({ model: TINY, max_tokens: 4, messages: [{ role: "user", content: "hi" }], ...extra });
    expect(res.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await res.json()).error.message.startsWith(`${param} is not supported`)).toBe(true);
  });

  it("output_config.format (structured outputs: the SDK's messages.parse with zodOutputFormat, LangChain's and the AI SDK's JSON-schema mode) is a text block of JSON that validates, streamed or not", async () => {
    const Answer = z.object({ city: z.enum(["Paris", "Oslo"]), ok: z.boolean() });
    const ask: Anthropic.MessageParam[] = [{ role: "user", content: "Which city, and is it ok?" }];
    const parsed = await client.messages.parse({ model: TINY, max_tokens: 60, messages: ask, output_config: { format: zodOutputFormat(Answer) } });
    expect(parsed.stop_reason).toBe("end_turn");
    expect(parsed.content).toMatchObject([{ type: "text", text: expect.any(String) }]);
    Answer.parse(parsed.parsed_output);
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
    const streamed = await client.messages.stream({ model: TINY, max_tokens: 60, messages: ask, output_config: { effort: null, format: { type: "json_schema", schema } } }).finalMessage();
    expect(streamed.stop_reason).toBe("end_turn");
    z.strictObject({ ok: z.boolean() }).parse(JSON.parse(streamed.content[0]?.type === "text" ? streamed.content[0].text : ""));
    // The format constrains the output: count_tokens takes it and counts the same prompt.
    const plain = await client.messages.countTokens({ model: TINY, messages: ask });
    expect((await client.messages.countTokens({ model: TINY, messages: ask, output_config: { format: { type: "json_schema", schema } } })).input_tokens).toBe(plain.input_tokens);
  });

  it.each([
    ["output_config is not supported: format only", { output_config: { effort: "low" } }],
    ["output_config.format.schema.properties.t uses minimum on a number", { output_config: { format: { type: "json_schema", schema: { type: "object", properties: { t: { type: "number", minimum: 0 } }, required: ["t"] } } } }],
    ["output_config.format cannot be combined with tools the model may call", { output_config: { format: { type: "json_schema", schema: { type: "object" } } }, tools: [{ name: "f", input_schema: { type: "object" } }] }],
  ])("structured output it cannot honour is a 400 saying so: %s", async (message, extra) => {
    const res = await post({ model: TINY, max_tokens: 4, messages: [{ role: "user", content: "hi" }], ...extra });
    expect(res.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await res.json()).error.message.startsWith(message)).toBe(true);
  });

  it("count_tokens counts through a worker (a model without a chat template too); a body without a model is a 400 in Anthropic's shape", async () => {
    const counted = await client.messages.countTokens({ model: TINY, messages: [{ role: "user", content: "Hello there" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const res = await fetch(`${cluster.orch.url}/v1/messages/count_tokens`, { method: "POST", body: "{}", headers: { "content-type": "application/json", "x-api-key": cluster.orch.token } });
    expect(res.status).toBe(400);
    expect(AnthropicErrorSchema.parse(await res.json()).error.type).toBe("invalid_request_error");
  });

  it("models.list and models.retrieve get Anthropic's shapes (the SDK sends anthropic-version), pages included; errors come in Anthropic's envelope", async () => {
    const all: Anthropic.ModelInfo[] = [];
    // limit 1: the SDK follows has_more / last_id through every page.
    for await (const m of client.models.list({ limit: 1 })) all.push(m);
    expect(all.map((m) => m.id).sort()).toEqual([TINY, TINY_B].sort());
    for (const m of all) {
      expect(m).toEqual({ type: "model", id: m.id, display_name: m.id, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
    }
    const first = await client.models.list({ limit: 1 });
    expect(first).toMatchObject({ has_more: true, first_id: all[0]?.id, last_id: all[0]?.id });
    const before = await client.models.list({ before_id: all[1]?.id ?? "" });
    expect(before.data.map((m) => m.id)).toEqual([all[0]?.id]);
    expect(await client.models.retrieve(TINY)).toEqual({ type: "model", id: TINY, display_name: TINY, created_at: all.find((m) => m.id === TINY)?.created_at });
    const missing = await client.models.retrieve("no-such-model").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(AnthropicErrorSchema.parse((missing as InstanceType<typeof Anthropic.NotFoundError>).error)).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const badCursor = await client.models.list({ after_id: "no-such-model" }).catch((e: unknown) => e);
    expect(badCursor).toBeInstanceOf(Anthropic.BadRequestError);
    expect(AnthropicErrorSchema.parse((badCursor as InstanceType<typeof Anthropic.BadRequestError>).error).error.message).toMatch(/^after_id "no-such-model" is not a model of this list/);
    // An unknown /v1 path asked by Anthropic's SDK answers in its envelope too; OpenAI's clients still get OpenAI's shapes.
    const offTable = await fetch(`${cluster.orch.url}/v1/messages/batches`, { method: "POST", body: "{}", headers: { "content-type": "application/json", "x-api-key": cluster.orch.token, "anthropic-version": "2023-06-01" } });
    expect(offTable.status).toBe(404);
    expect(AnthropicErrorSchema.parse(await offTable.json()).error.type).toBe("not_found_error");
    // Older SDKs (LangChain's, Claude Code's) mark beta calls with ?beta=true.
    const beta = await fetch(`${cluster.orch.url}/v1/models?beta=true&limit=1`, { headers: { "x-api-key": cluster.orch.token, "anthropic-version": "2023-06-01" } });
    expect(beta.status).toBe(200);
    expect(await beta.json()).toMatchObject({ data: [{ type: "model", id: all[0]?.id }], has_more: true });
    const openai = (await (await cluster.orch.api("/v1/models")).json()) as { object: string; data: { object: string }[] };
    expect(openai).toMatchObject({ object: "list", data: [{ object: "model" }, { object: "model" }] });
    expect(await (await cluster.orch.api("/v1/models/no-such-model")).json()).toMatchObject({ error: { type: "not_found_error", code: "MODEL_NOT_FOUND" } });
  });

  it("a 400 KB prompt is a 400 invalid_request_error in Anthropic's words (prompt is too long: Claude Code compacts on them), streamed or not; count_tokens counts it", async () => {
    const huge = "hello world ".repeat(34_000);
    const request = { model: TINY, max_tokens: 8, messages: [{ role: "user" as const, content: huge }] };
    for (const attempt of [() => client.messages.create(request), () => client.messages.stream(request).finalMessage()]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(AnthropicErrorSchema.parse((error as InstanceType<typeof Anthropic.BadRequestError>).error).error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(/^prompt is too long: prompt of \d+ tokens/) });
    }
    expect((await client.messages.countTokens({ model: TINY, messages: request.messages })).input_tokens).toBeGreaterThan(30_000);
  });

  it("a plain-text document block (the AI SDK's text/plain file part) is read as its text; PDFs and citations are refused by name", async () => {
    const doc = { type: "document" as const, title: "Notes", source: { type: "text" as const, media_type: "text/plain" as const, data: "The cat sat on the mat." } };
    const asDocument = await client.messages.countTokens({ model: TINY, messages: [{ role: "user", content: [doc, { type: "text", text: "Who sat?" }] }] });
    const asText = await client.messages.countTokens({ model: TINY, messages: [{ role: "user", content: "Notes\n\nThe cat sat on the mat.\n\nWho sat?" }] });
    expect(asDocument.input_tokens).toBe(asText.input_tokens);
    const content = { type: "document" as const, source: { type: "content" as const, content: [{ type: "text" as const, text: "The cat sat on the mat." }] } };
    expect((await client.messages.create({ model: TINY, max_tokens: 2, messages: [{ role: "user", content: [content, { type: "text", text: "Who sat?" }] }] })).usage.output_tokens).toBe(2);
    const pdf = { type: "document" as const, source: { type: "base64" as const, media_type: "application/pdf" as const, data: "JVBERi0=" } };
    const cited = { ...doc, citations: { enabled: true } };
    for (const block of [pdf, cited]) {
      const res = await post({ model: TINY, max_tokens: 2, messages: [{ role: "user", content: [block, { type: "text", text: "Who sat?" }] }] });
      expect(res.status).toBe(400);
      expect(AnthropicErrorSchema.parse(await res.json()).error.message).toMatch(/^messages\[0\]\.content\[0\] \(document block\) is not supported: .*the served models read text only/);
    }
  });
});

import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { TaskListResponseSchema, TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { dashboardCookie, startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";

// The OpenAI surface against a real orchestrator and a real worker agent running llama.cpp.
const TINY = testModelName("tiny");
const MEDIUM = testModelName("medium");
let cluster: CompatCluster;
let client: OpenAI;

beforeAll(async () => {
  cluster = await startCompatCluster("node-openai", ["tiny", "medium"]);
  client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });

async function runningTaskId(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const list = TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?state=running")).json());
    const running = list.tasks.find((t) => t.tokens_out > 0);
    if (running) return running.task_id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no running task");
}

describe("honest OpenAI behaviour", () => {
  it("records `user` without opening a budgeted session: 70 requests with one user all succeed", async () => {
    for (let batch = 0; batch < 7; batch++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 1, user: "alice" })));
      for (const r of results) expect(r.choices[0]?.finish_reason).toBe("length");
    }
    const logged = cluster.orch.logs.filter((l) => l.includes('"end_user":"alice"'));
    expect(logged.length).toBe(70);
    expect((await cluster.orch.api("/v2/sessions/user-alice")).status).toBe(404);
  });

  it.each([
    ["functions", { functions: [{ name: "f" }] }],
    ["function_call", { function_call: "auto" }],
    ["n", { n: 2 }],
    ["messages[].content", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }] }] }],
  ])("refuses %s with a 400 that names it", async (param, extra) => {
    const res = await post("/v1/chat/completions", { model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...extra });
    expect(res.status).toBe(400);
    const error = OpenAiErrorSchema.parse(await res.json()).error;
    // A refused content part is named by its place and type (a long history says which one).
    expect(error.message.startsWith(`${param === "messages[].content" ? "messages[0].content[0] (image_url part)" : param} is not supported`)).toBe(true);
    expect(error.param).toBe(param);
    // Through the SDK as well: it raises BadRequestError with our message.
    await expect(client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...(extra as object) } as never)).rejects.toMatchObject({ status: 400 });
  });

  it("completions: a one-element prompt array works, more than one and echo are refused by name", async () => {
    const one = await client.completions.create({ model: TINY, prompt: ["Once upon"], max_tokens: 3 });
    expect(one.choices[0]?.text.length).toBeGreaterThan(0);
    expect(one.usage?.completion_tokens).toBe(3);
    const many = await post("/v1/completions", { model: TINY, prompt: ["a", "b"], max_tokens: 3 });
    expect(many.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await many.json()).error.message).toMatch(/^prompt is not supported: one string/);
    const echo = await post("/v1/completions", { model: TINY, prompt: "a", echo: true });
    expect(OpenAiErrorSchema.parse(await echo.json()).error).toMatchObject({ param: "echo", message: expect.stringMatching(/^echo is not supported/) });
  });

  it("completions keep the space a SentencePiece model generates, and a stop string with a space ends them, streamed or not", async () => {
    const plain = await client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0, logprobs: 1 });
    const text = plain.choices[0]?.text ?? "";
    // The tokens are "▁test", "▁of", …: the text began "test of" (the first token's space lost), unlike its own tokens and llama-server.
    expect(plain.choices[0]?.logprobs?.tokens?.join("")).toBe(text);
    expect(text.startsWith(" ")).toBe(true);
    const stop = ` ${text.trim().split(" ")[1] ?? ""}`;
    const before = text.slice(0, text.indexOf(stop, 1));
    expect(before.length).toBeGreaterThan(0);
    // The stop strings were looked for in each token detokenized alone ("of"), so one with a space never matched.
    const stopped = await client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0, stop: [stop] });
    expect(stopped.choices[0]).toMatchObject({ text: before, finish_reason: "stop" });
    const stream = await client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0, stop: stop, stream: true });
    let streamed = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([streamed, finish]).toEqual([before, "stop"]);
  });

  it("64 stop strings (the limit) end the output at the one that occurs, for requests at once and 50 ms apart; 65 is a 400 naming stop", async () => {
    const text = (await client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0 })).choices[0]?.text ?? "";
    const stop = ` ${text.trim().split(" ")[1] ?? ""}`;
    const before = text.slice(0, text.indexOf(stop, 1));
    // 63 strings that never occur, the matching one last (every one is followed on every token).
    const stops = [...Array.from({ length: 63 }, (_, i) => `<never ${i}>`), stop];
    const ask = () => client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0, stop: stops });
    const atOnce = await Promise.all(Array.from({ length: 8 }, ask));
    const staggered = await Promise.all(Array.from({ length: 8 }, (_, i) => new Promise((r) => setTimeout(r, i * 50)).then(ask)));
    for (const res of [...atOnce, ...staggered]) expect(res.choices[0]).toMatchObject({ text: before, finish_reason: "stop" });
    const over = await fetch(`${cluster.orch.url}/v1/completions`, { method: "POST", headers: { authorization: `Bearer ${cluster.orch.token}`, "content-type": "application/json" }, body: JSON.stringify({ model: TINY, prompt: "x", max_tokens: 2, stop: [...stops, "one more"] }) });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { param: string | null } }).error.param).toBe("stop");
  });

  it("usage counts the tokens a stop string ended, on chat as on completions (the stop string's own tokens too)", async () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    const plain = await client.chat.completions.create({ model: TINY, messages, max_tokens: 8, temperature: 0 });
    const text = plain.choices[0]?.message.content ?? "";
    const words = text.trim().split(" ");
    // One token per word ("▁test", "▁of", …), so the count up to a stop string's end is its word count.
    expect(plain.usage?.completion_tokens).toBe(words.length);
    const stop = ` ${words[1] ?? ""} ${words[2] ?? ""}`;
    const stopped = await client.chat.completions.create({ model: TINY, messages, max_tokens: 8, temperature: 0, stop: [stop] });
    expect(stopped.choices[0]).toMatchObject({ message: { content: words[0] }, finish_reason: "stop" });
    // Generated: the word before it and the stop string's two. Was 1: LlamaChat drops what a stop string held back before onToken.
    expect(stopped.usage?.completion_tokens).toBe(3);
    const completion = await client.completions.create({ model: TINY, prompt: "Once upon", max_tokens: 8, temperature: 0, stop: [` ${words[1] ?? ""} ${words[2] ?? ""}`] });
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it("a chat that reaches max_tokens while its end may begin a stop string keeps that end and counts it, streamed or not (LlamaChat dropped it)", async () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    const plain = await client.chat.completions.create({ model: TINY, messages, max_tokens: 5, temperature: 0 });
    const text = plain.choices[0]?.message.content ?? "";
    // The last word begins the stop string, which never completes: the whole answer stands.
    const words = text.trim().split(" ");
    const neverCompleted = [` ${words.at(-1) ?? ""}x`, ` ${words.join(" ")} and more`];
    for (const stop of neverCompleted) {
      const stopped = await client.chat.completions.create({ model: TINY, messages, max_tokens: 5, temperature: 0, stop: [stop] });
      expect(stopped.choices[0], stop).toMatchObject({ message: { content: text }, finish_reason: "length" });
      expect(stopped.usage?.completion_tokens, stop).toBe(5);
      const stream = await client.chat.completions.create({ model: TINY, messages, max_tokens: 5, temperature: 0, stop: [stop], stream: true, stream_options: { include_usage: true } });
      let streamed = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta.content ?? "";
        usage = chunk.usage ?? usage;
      }
      expect([streamed, usage?.completion_tokens], stop).toEqual([text, 5]);
    }
  });

  it("max_completion_tokens and stream_options.include_usage keep working", async () => {
    const stream = await client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "Say hello" }], max_completion_tokens: 5, stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      usage = chunk.usage ?? usage;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(5);
  });

  it("explicit nulls (what LiteLLM and serialised request objects send) are read as not set on Responses and embeddings too, as on chat", async () => {
    const response = await post("/v1/responses", { model: TINY, input: "hi", max_output_tokens: 2, tools: null, tool_choice: null, text: null, user: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: "response", tool_choice: "none", text: { format: { type: "text" } }, user: null });
    expect((await post("/v1/responses", { model: TINY, input: "hi", max_output_tokens: 2, text: { format: null } })).status).toBe(200);
    const embedding = await post("/v1/embeddings", { model: TINY, input: "hi", dimensions: null, encoding_format: null, user: null });
    expect(embedding.status).toBe(200);
    expect(((await embedding.json()) as { data: { embedding: unknown }[] }).data[0]?.embedding).toEqual(expect.any(Array));
  });

  it("instructions alone (system or developer turns, no user turn) are answered, as OpenAI and llama-server do; an assistant turn alone is still refused", async () => {
    const chat = await client.chat.completions.create({ model: TINY, messages: [{ role: "system", content: "Write a haiku" }], max_tokens: 3 });
    expect(chat.choices[0]).toMatchObject({ finish_reason: "length", message: { role: "assistant" } });
    expect(chat.usage?.completion_tokens).toBe(3);
    const response = await client.responses.create({ model: TINY, instructions: "Write a haiku", input: [{ role: "developer", content: "Short." }], max_output_tokens: 3 });
    expect(response.output_text.length).toBeGreaterThan(0);
    // Responses' input is optional with instructions, as OpenAI has it; with neither it is a 400 naming input.
    const instructed = await client.responses.create({ model: TINY, instructions: "Write a haiku", max_output_tokens: 3 });
    expect(instructed.output_text.length).toBeGreaterThan(0);
    await expect(client.responses.create({ model: TINY, max_output_tokens: 3 })).rejects.toMatchObject({ status: 400, param: "input" });
    await expect(client.chat.completions.create({ model: TINY, messages: [{ role: "assistant", content: "x" }], max_tokens: 2 })).rejects.toMatchObject({ status: 400, param: "messages" });
  });

  it("GET /v1/models/{id}: the model object, 404 in OpenAI's shape", async () => {
    expect(await client.models.retrieve(TINY)).toMatchObject({ id: TINY, object: "model", owned_by: "llama-orch" });
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404, code: "MODEL_NOT_FOUND" });
  });
});

describe("Responses API through the official client", () => {
  it("non-stream: a response object with the output text; max_output_tokens ends it as incomplete", async () => {
    const response = await client.responses.create({ model: TINY, input: "Say hello", instructions: "Be brief.", max_output_tokens: 6, temperature: 0 });
    expect(response).toMatchObject({ object: "response", status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, model: TINY, instructions: "Be brief." });
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBe(6);
    const again = await client.responses.create({ model: TINY, input: [{ role: "user", content: "Say hello" }], instructions: "Be brief.", max_output_tokens: 6, temperature: 0 });
    expect(again.output_text).toBe(response.output_text);
  });

  it("stream: response.created … output_text.delta … output_text.done, in sequence order", async () => {
    const stream = await client.responses.create({ model: TINY, input: "Say hello", max_output_tokens: 6, temperature: 0, stream: true });
    const types: string[] = [];
    let text = "";
    let done = "";
    let sequence = -1;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).toBe(sequence + 1);
      sequence = event.sequence_number;
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.output_text.done") done = event.text;
    }
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.filter((t) => t === "response.output_text.delta").length).toBe(6);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"]);
    expect(done).toBe(text);
  });

  it("refuses hosted tools, previous_response_id and a verbosity by name", async () => {
    for (const [param, extra] of [["tools", { tools: [{ type: "file_search", vector_store_ids: ["vs_1"] }] }], ["previous_response_id", { previous_response_id: "resp_1" }], ["text.verbosity", { text: { verbosity: "low" } }]] as const) {
      const res = await post("/v1/responses", { model: TINY, input: "hi", ...extra });
      expect(res.status).toBe(400);
      expect(OpenAiErrorSchema.parse(await res.json()).error.message.startsWith(`${param} is not supported`)).toBe(true);
    }
  });
});

describe("no output limit given: the default is a ceiling that a long prompt shortens", () => {
  it("openai without max_tokens, ollama with any num_predict, anthropic's required max_tokens: answered up to the context's end, not refused", async () => {
    const unit = "lorem ipsum dolor sit amet ";
    const promptTokens = async (repeats: number) => (await client.completions.create({ model: TINY, prompt: unit.repeat(repeats), max_tokens: 1 })).usage?.prompt_tokens ?? 0;
    const refusal = await client.completions.create({ model: TINY, prompt: unit.repeat(1_000), max_tokens: 1 }).catch((e: unknown) => e);
    const ctx = Number(/the (\d+)-token context/.exec(String((refusal as Error).message))?.[1]);
    expect(ctx).toBeGreaterThan(300);
    const [p10, p20] = [await promptTokens(10), await promptTokens(20)];
    // A prompt leaving ~100 tokens: prompt + the default 256 did not fit, and every surface refused it.
    const prompt = unit.repeat(Math.floor(((ctx - 100 - p10) / (p20 - p10)) * 10) + 10);
    const completion = await client.completions.create({ model: TINY, prompt });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.total_tokens).toBe(ctx);
    expect(completion.usage?.completion_tokens).toBeLessThan(256);
    const chat = await client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: prompt }] });
    expect(chat.choices[0]?.finish_reason).toBe("length");
    expect(chat.usage?.total_tokens).toBe(ctx);
    // Ollama's default (no num_predict, or -1): until the model stops or the context is full.
    const ollama = await cluster.orch.api("/api/generate", { method: "POST", body: JSON.stringify({ model: TINY, prompt, raw: true, stream: false }) });
    expect(ollama.status).toBe(200);
    const answer = (await ollama.json()) as { done_reason: string; prompt_eval_count: number; eval_count: number };
    expect(answer.done_reason).toBe("length");
    expect(answer.prompt_eval_count + answer.eval_count).toBe(ctx);
    // Ollama with a num_predict the context cannot hold: Ollama itself never refuses it.
    const predicted = await cluster.orch.api("/api/generate", { method: "POST", body: JSON.stringify({ model: TINY, prompt, raw: true, stream: false, options: { num_predict: 5000 } }) });
    expect(await predicted.json()).toMatchObject({ done_reason: "length", eval_count: answer.eval_count });
    // Anthropic clients must send max_tokens and send large ones (Claude Code: 32,000): a ceiling; the
    // context's end is stop_reason model_context_window_exceeded, as Anthropic reports it.
    const anthropic = await cluster.orch.api("/v1/messages", { method: "POST", body: JSON.stringify({ model: TINY, max_tokens: 32_000, messages: [{ role: "user", content: prompt }] }) });
    expect(anthropic.status).toBe(200);
    const message = (await anthropic.json()) as { stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
    expect(message.stop_reason).toBe("model_context_window_exceeded");
    expect(message.usage.input_tokens + message.usage.output_tokens).toBe(ctx);
    const short = await cluster.orch.api("/v1/messages", { method: "POST", body: JSON.stringify({ model: TINY, max_tokens: 3, messages: [{ role: "user", content: "hi" }] }) });
    expect(await short.json()).toMatchObject({ stop_reason: "max_tokens", usage: { output_tokens: 3 } });
    // An explicit OpenAI limit that does not fit is still the client's mistake (OpenAI refuses it too).
    await expect(client.completions.create({ model: TINY, prompt, max_tokens: 256 })).rejects.toMatchObject({ status: 400, code: "CONTEXT_TOO_LONG" });
  });
});

describe("a streamed request that fails before its first token gets the failure's HTTP status", () => {
  const tooLong = "lorem ipsum dolor sit amet ".repeat(1_000);

  it("openai (chat and completions), anthropic and ollama: 400 CONTEXT_TOO_LONG in each surface's error shape, not a 200 with an error frame", async () => {
    await expect(client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: tooLong }], max_tokens: 4, stream: true })).rejects.toMatchObject({ status: 400, code: "CONTEXT_TOO_LONG" });
    await expect(client.completions.create({ model: TINY, prompt: tooLong, max_tokens: 4, stream: true })).rejects.toMatchObject({ status: 400, code: "CONTEXT_TOO_LONG" });
    const anthropic = await cluster.orch.api("/v1/messages", { method: "POST", body: JSON.stringify({ model: TINY, max_tokens: 4, stream: true, messages: [{ role: "user", content: tooLong }] }) });
    expect(anthropic.status).toBe(400);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/context/) } });
    const ollama = await cluster.orch.api("/api/chat", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: tooLong }] }) });
    expect(ollama.status).toBe(400);
    expect(await ollama.json()).toEqual({ error: expect.stringMatching(/context/) });
    // A stream that produces output still opens as before.
    const fine = await client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true });
    let chunks = 0;
    for await (const _chunk of fine) chunks++;
    expect(chunks).toBeGreaterThan(1);
  });
});

describe("refusals from admission and the engine name the request field (`param`) the client sent", () => {
  const tooLong = "lorem ipsum dolor sit amet ".repeat(1_000);
  const chat = (extra: object) => client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], ...extra } as never);

  it("an output limit beyond the context, a prompt that does not fit, a token id outside the vocabulary, a suffix without fill-in-the-middle tokens", async () => {
    await expect(chat({ max_tokens: 10_000 })).rejects.toMatchObject({ status: 400, code: "CONTEXT_TOO_LONG", param: "max_tokens" });
    // The message names the field the client sent, not the engine's max_tokens.
    await expect(chat({ max_completion_tokens: 10_000 })).rejects.toMatchObject({ param: "max_completion_tokens", message: expect.stringMatching(/^400 max_completion_tokens 10000 exceeds/) });
    await expect(client.responses.create({ model: TINY, input: "hi", max_output_tokens: 10_000 })).rejects.toMatchObject({ status: 400, param: "max_output_tokens", message: expect.stringMatching(/^400 max_output_tokens 10000 exceeds/) });
    await expect(client.completions.create({ model: TINY, prompt: tooLong, max_tokens: 4 })).rejects.toMatchObject({ code: "CONTEXT_TOO_LONG", param: "prompt" });
    // Streamed, refused before the stream's head: the HTTP error carries it too.
    await expect(client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: tooLong }], max_tokens: 4, stream: true })).rejects.toMatchObject({ code: "CONTEXT_TOO_LONG", param: "messages" });
    await expect(client.responses.create({ model: TINY, input: tooLong, max_output_tokens: 4 })).rejects.toMatchObject({ param: "input", message: expect.stringMatching(/plus max_output_tokens 4 is/) });
    await expect(client.embeddings.create({ model: TINY, input: ["a", tooLong] })).rejects.toMatchObject({ code: "CONTEXT_TOO_LONG", param: "input" });
    await expect(chat({ max_tokens: 2, logit_bias: { "999999": 5 } })).rejects.toMatchObject({ code: "INVALID_PARAMS", param: "logit_bias" });
    await expect(client.completions.create({ model: TINY, prompt: "a", suffix: "b", max_tokens: 2 })).rejects.toMatchObject({ code: "INVALID_PARAMS", param: "suffix" });
    // A model no node serves: OpenAI's 404, naming the field.
    await expect(chat({ model: "gpt-4o", max_tokens: 2 })).rejects.toMatchObject({ status: 404, code: "MODEL_NOT_FOUND", param: "model" });
    await expect(client.responses.create({ model: "gpt-4o", input: "hi" })).rejects.toMatchObject({ status: 404, param: "model" });
    await expect(client.embeddings.create({ model: "text-embedding-3-small", input: "hi" })).rejects.toMatchObject({ status: 404, param: "model" });
  });

  it("what the worker would refuse naming no field is refused at the door by name: an empty stop string, an output limit above 50,000", async () => {
    await expect(chat({ max_tokens: 2, stop: "" })).rejects.toMatchObject({ status: 400, code: "INVALID_PARAMS", param: "stop", message: expect.stringMatching(/a stop string cannot be empty/) });
    await expect(client.completions.create({ model: TINY, prompt: "a", max_tokens: 2, stop: ["x", ""] })).rejects.toMatchObject({ status: 400, param: "stop.1" });
    // A model whose context holds more passed admission and got the worker's bare "body.max_tokens: Too big" (param null).
    await expect(chat({ max_tokens: 60_000 })).rejects.toMatchObject({ code: "INVALID_PARAMS", param: "max_tokens", message: expect.stringMatching(/at most 50000 tokens are generated per request/) });
    await expect(client.responses.create({ model: TINY, input: "hi", max_output_tokens: 60_000 })).rejects.toMatchObject({ code: "INVALID_PARAMS", param: "max_output_tokens" });
  });

  it("in a stream that opened while queued, the error frame names it as well", async () => {
    // Both of MEDIUM's slots busy: the stream's head goes out after its grace in the queue, so the engine's refusal arrives as a frame.
    const blockers = [new AbortController(), new AbortController()];
    const settled = blockers.map((c) => client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 4000 }, { signal: c.signal }).catch(() => null));
    await waitFor("two running tasks on the medium pool", async () => TaskListResponseSchema.parse(await (await cluster.orch.api("/v2/tasks?state=running")).json()).tasks.filter((t) => t.tokens_out > 0).length === 2, 20_000);
    const stream = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: tooLong }], max_tokens: 4, stream: true });
    for (const c of blockers) c.abort();
    await Promise.all(settled);
    const consume = (async () => {
      for await (const _chunk of stream) throw new Error("no chunk expected before the refusal");
    })();
    await expect(consume).rejects.toMatchObject({ code: "CONTEXT_TOO_LONG", param: "messages" });
  });
});

describe("endings the client did not ask for are errors, a hang-up is a quiet cancel", () => {
  it("an operator cancel from the dashboard ends a stream with an error the openai client throws", async () => {
    const { data: stream, response } = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 4000, stream: true }).withResponse();
    const taskId = response.headers.get("x-task-id") as string;
    const cookie = await dashboardCookie(cluster.orch);
    let received = 0;
    const consume = (async () => {
      for await (const chunk of stream) {
        expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
        if (++received === 3) expect((await fetch(`${cluster.orch.url}/v2/tasks/${taskId}/cancel`, { method: "POST", headers: { cookie } })).status).toBe(204);
      }
    })();
    await expect(consume).rejects.toMatchObject({ code: "CANCELED", message: expect.stringMatching(/operator/) });
  });

  it("a cancel of a non-stream request answers with a non-2xx", async () => {
    const pending = client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 4000 });
    const settled = pending.then(() => null, (err: unknown) => err);
    const taskId = await runningTaskId();
    expect((await cluster.orch.api(`/v2/tasks/${taskId}/cancel`, { method: "POST" })).status).toBe(204);
    expect(await settled).toMatchObject({ status: 499, code: "CANCELED" });
  });

  it("a client that hangs up cancels its task quietly", async () => {
    const controller = new AbortController();
    const { data: stream, response } = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 4000, stream: true }, { signal: controller.signal }).withResponse();
    const taskId = response.headers.get("x-task-id") as string;
    let received = 0;
    // The SDK ends the iteration quietly on its own abort.
    for await (const _chunk of stream) if (++received === 3) controller.abort();
    for (let i = 0; i < 100 && TaskStatusSchema.parse(await (await cluster.orch.api(`/v2/tasks/${taskId}`)).json()).state !== "canceled"; i++) await new Promise((r) => setTimeout(r, 20));
    expect(TaskStatusSchema.parse(await (await cluster.orch.api(`/v2/tasks/${taskId}`)).json()).state).toBe("canceled");
  });

  it("a pool drain that ends a stream reaches the client as an error (run last: the pool stays drained)", async () => {
    const pool = await cluster.poolOf(MEDIUM);
    const stream = await client.completions.create({ model: MEDIUM, prompt: "Once upon a time", max_tokens: 4000, stream: true });
    let received = 0;
    const consume = (async () => {
      for await (const chunk of stream) {
        expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
        if (++received === 3) expect((await post(`/v2/pools/${pool}/drain`, { deadline_ms: 100 })).status).toBe(202);
      }
    })();
    // The worker reports the drain that cut the stream; the client gets it as an error, never as finish_reason "stop".
    await expect(consume).rejects.toMatchObject({ status: undefined, message: expect.stringMatching(/drained/) });
  });
});

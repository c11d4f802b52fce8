#!/usr/bin/env node
// A stand-in for llama.cpp's llama-server with the endpoints the worker's llama-server engine uses
// (/health, /props, /tokenize, /apply-template, streamed /completion), for tests of the engine's
// supervision and translation where no real llama-server is built. Tokens are words; the model is fake.
// FAKE_LLAMA_SERVER_FAIL=1: print an error and exit 1 before listening (a load failure).
// FAKE_LLAMA_SERVER_LOG=<file>: each request's path appended to the file, one a line (which calls a task made).
// FAKE_LLAMA_SERVER_BODIES=<file>: each /completion body appended to the file as one JSON line (what the engine sent).
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, parallel: { type: "string", default: "1" }, "ctx-size": { type: "string", default: "4096" } }, strict: false });
if (process.env.FAKE_LLAMA_SERVER_FAIL === "1") {
  process.stderr.write("error: failed to load model 'x.gguf'\n");
  process.exit(1);
}
const slots = Number(values.parallel);
const nCtx = Number(values["ctx-size"]) / slots;
const tokenize = (text) => [1, ...text.split(/\s+/).filter((w) => w !== "").map((_, i) => 100 + i)];

function body(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => resolve(JSON.parse(data || "{}")));
  });
}

const server = createServer(async (req, res) => {
  if (process.env.FAKE_LLAMA_SERVER_LOG) appendFileSync(process.env.FAKE_LLAMA_SERVER_LOG, `${req.url}\n`);
  const json = (status, value) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  if (req.url === "/health") return json(200, { status: "ok" });
  if (req.url === "/props") return json(200, { default_generation_settings: { n_ctx: nCtx }, total_slots: slots, build_info: "b0-fake" });
  const input = await body(req);
  if (req.url === "/tokenize") return json(200, { tokens: tokenize(input.content) });
  if (req.url === "/apply-template") return json(200, { prompt: input.messages.map((m) => `<|${m.role}|> ${m.content} `).join("") + "<|assistant|> " });
  if (req.url === "/completion") {
    if (process.env.FAKE_LLAMA_SERVER_BODIES) appendFileSync(process.env.FAKE_LLAMA_SERVER_BODIES, `${JSON.stringify(input)}\n`);
    // A text prompt is tokenized here, as llama-server does; its size comes back as tokens_evaluated.
    const prompt = typeof input.prompt === "string" ? tokenize(input.prompt) : input.prompt;
    if (prompt.length + input.n_predict > nCtx) return json(400, { error: { code: 400, message: "the request exceeds the available context size", type: "exceed_context_size_error" } });
    res.writeHead(200, { "content-type": "text/event-stream" });
    let closed = false;
    res.on("close", () => (closed = true));
    for (let i = 0; i < input.n_predict && !closed; i++) {
      res.write(`data: ${JSON.stringify({ content: `w${i} `, stop: false })}\n\n`);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (!closed) res.end(`data: ${JSON.stringify({ content: "", stop: true, stop_type: "limit", tokens_predicted: input.n_predict, tokens_evaluated: prompt.length })}\n\n`);
    return;
  }
  json(404, { error: { code: 404, message: "not found", type: "not_found_error" } });
});
server.listen(Number(values.port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));

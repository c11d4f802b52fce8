// Handoff files attach/detach external OpenAI-compatible engines (a real HTTP server in this test
// speaking the OpenAI streaming format stands in for llama-server), and with no pools configured the
// agent serves every model in its models dir, picking up one added later without a restart.
import { copyFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { getJson, killAllWorkers, metricValue, startWorker, streamInfer, terminalEvent, tokenTexts, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";
import type { PoolStatus, PoolStatusListResponse } from "../../src-shared/worker-api/pool-status.js";

interface UpstreamCall {
  path: string;
  body: Record<string, unknown>;
  closedEarly: boolean;
}

/** Streams `pieces` as OpenAI chunks (text or chat deltas), then finish_reason and [DONE]. */
function fakeOpenAiServer(pieces: string[], calls: UpstreamCall[], slowForever: () => boolean): Server {
  return createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const call: UpstreamCall = { path: req.url ?? "", body: JSON.parse(text) as Record<string, unknown>, closedEarly: false };
      calls.push(call);
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chat = call.path === "/v1/chat/completions";
      const chunk = (piece: string, finish: string | null) =>
        `data: ${JSON.stringify(chat ? { choices: [{ index: 0, delta: { content: piece }, finish_reason: finish }] } : { choices: [{ index: 0, text: piece, finish_reason: finish }] })}\n\n`;
      if (slowForever()) {
        // One token, then nothing until the client goes away.
        res.write(chunk(pieces[0] ?? "x", null));
        res.on("close", () => {
          call.closedEarly = true;
        });
        return;
      }
      for (const piece of pieces) res.write(chunk(piece, null));
      res.write(chunk("", "length"));
      res.end("data: [DONE]\n\n");
    });
  });
}

let worker: StartedWorker;
let upstream: Server;
let upstreamUrl = "";
const calls: UpstreamCall[] = [];
let hang = false;

const pools = async () => (await getJson<PoolStatusListResponse>(`${worker.url}/v2/pools`)).body.pools;
const pool = async (id: string): Promise<PoolStatus | undefined> => (await pools()).find((p) => p.pool_id === id);

beforeAll(async () => {
  upstream = fakeOpenAiServer(["Hello", ",", " world", "!"], calls, () => hang);
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  worker = await startWorker({ models: { "tiny.gguf": testModelPath("tiny") }, config: { node_id: "hnode", catalog_poll_ms: 200, handoff_poll_ms: 250, auto_pool_slots: 2 } });
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("pools derived from the models dir", () => {
  it("serves every model found, one pool each (ids prefixed with the node id), and picks up a model added later", async () => {
    const tiny = await waitFor(() => pool("hnode.tiny"), (p) => p?.ready === true, 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nlogs: ${JSON.stringify(worker.logs.slice(-30))}\nstderr: ${worker.stderr()}`);
    });
    expect(tiny).toMatchObject({ slots_total: 2, model: { name: "llama-orch-test-tiny" } });
    // Copy under a non-GGUF name, then rename: the catalog never sees a half-written file.
    const part = join(worker.modelsDir, "late.tmp");
    await copyFile(testModelPath("tiny-b"), part);
    await rename(part, join(worker.modelsDir, "tiny-b.gguf"));
    const late = await waitFor(() => pool("hnode.tiny-b"), (p) => p?.ready === true, 20_000);
    expect(late?.model?.name).toBe("llama-orch-test-tiny-b");
    const result = await streamInfer(worker.url, "hnode.tiny-b", { task_id: "late-1", prompt: "the cat", max_tokens: 5 });
    expect(terminalEvent(result)).toMatchObject({ event: "end", data: { tokens_out: 5 } });
  });
});

describe("engine handoff files", () => {
  const handoffPath = () => join(worker.runtimeDir, "ext-0-r0.json");

  it("attaches an external engine from a handoff file and proxies completions and chat", async () => {
    await writeFile(
      handoffPath(),
      JSON.stringify({ pool_id: "ext-0", replica_id: "r0", engine: "llamacpp", engine_version: "llamacpp-source:b4000-cpu", url: upstreamUrl, device_mask: "GPU0", slots_total: 3, slots_free: 3, provisioning_mode: "external" }),
    );
    // Spec: picked up within 2 s (poll 250 ms + fs.watch).
    const attached = await waitFor(() => pool("ext-0"), (p) => p?.ready === true, 2000);
    expect(attached).toMatchObject({ engine: "llamacpp", engine_version: "llamacpp-source:b4000-cpu", device_mask: "GPU0", slots_total: 3, slots_free: 3 });

    const completion = await streamInfer(worker.url, "ext-0", { task_id: "ext-1", prompt: "Say hi", max_tokens: 16, stop: ["\n"] });
    expect(completion.events[0]?.event.event).toBe("started");
    expect(tokenTexts(completion)).toEqual(["Hello", ",", " world", "!"]);
    expect(terminalEvent(completion)).toMatchObject({ event: "end", data: { tokens_out: 4, stop_reason: "max_tokens" } });
    expect(calls.at(-1)).toMatchObject({ path: "/v1/completions", body: { prompt: "Say hi", max_tokens: 16, stream: true, temperature: 0, stop: ["\n"] } });

    const chat = await streamInfer(worker.url, "ext-0", { task_id: "ext-2", messages: [{ role: "user", content: "hi" }], max_tokens: 8 });
    expect(tokenTexts(chat).join("")).toBe("Hello, world!");
    expect(calls.at(-1)).toMatchObject({ path: "/v1/chat/completions", body: { messages: [{ role: "user", content: "hi" }], stream: true } });
  });

  it("a client disconnect closes the upstream request", async () => {
    hang = true;
    try {
      await streamInfer(worker.url, "ext-0", { task_id: "ext-3", prompt: "x", max_tokens: 100 }, (event) => (event.event === "token" ? "abort" : undefined));
      const call = calls.at(-1) as UpstreamCall;
      await waitFor(async () => call.closedEarly, (closed) => closed);
    } finally {
      hang = false;
    }
  });

  it("reports a malformed handoff file as a failed pool and keeps serving", async () => {
    await writeFile(join(worker.runtimeDir, "broken.json"), "{ this is not json");
    await writeFile(join(worker.runtimeDir, "ext-bad.json"), JSON.stringify({ pool_id: "ext-bad", replica_id: "r0", engine: "llamacpp", engine_version: "x", url: "not a url" }));
    const broken = await waitFor(() => pool("handoff-broken"), (p) => p !== undefined, 2000);
    expect(broken).toMatchObject({ state: "failed", ready: false });
    expect(broken?.last_error).toMatch(/invalid handoff file broken\.json/);
    const bad = await waitFor(() => pool("ext-bad"), (p) => p !== undefined, 2000);
    expect(bad?.last_error).toMatch(/url/);
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
    expect((await pool("ext-0"))?.ready).toBe(true);
    await rm(join(worker.runtimeDir, "broken.json"));
    await rm(join(worker.runtimeDir, "ext-bad.json"));
    await waitFor(() => pools(), (list) => !list.some((p) => p.pool_id === "ext-bad" || p.pool_id === "handoff-broken"), 2000);
  });

  it("detaches the pool when its handoff file is removed", async () => {
    await rm(handoffPath());
    await waitFor(() => pool("ext-0"), (p) => p === undefined, 2000);
    expect((await getJson(`${worker.url}/v2/pools/ext-0/status`)).status).toBe(404);
    const text = await (await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${worker.token}` } })).text();
    expect(metricValue(text, "pool_handoff_files_processed_total", { pool_id: "ext-0", outcome: "attached" })).toBe(1);
    expect(metricValue(text, "pool_handoff_files_processed_total", { pool_id: "ext-0", outcome: "detached" })).toBe(1);
    expect(metricValue(text, "pool_handoff_files_processed_total", { pool_id: "ext-bad", outcome: "invalid" })).toBe(1);
  });
});

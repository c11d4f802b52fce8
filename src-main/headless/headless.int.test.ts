import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";

// The HOME profile as `npm start` runs it when Electron cannot start: the headless CLI with a local
// worker on a generated demo model, answering an OpenAI chat completion.
let child: ChildProcess;
let dataDir: string;
let url = "";
let token = "";
let stdout = "";
let readyWhenPrinted = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "llorch-home-"));
  child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "--home", "--bind", "127.0.0.1:0", "--data-dir", dataDir], {
    env: { PATH: process.env.PATH, HOME: dataDir, LLORCH_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", () => {});
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !/Dashboard:\s+(http:\/\/\S+)\/login\?code=/.test(stdout)) await new Promise((r) => setTimeout(r, 50));
  url = /Dashboard:\s+(http:\/\/\S+)\/login\?code=/.exec(stdout)?.[1] ?? "";
  // Probed the moment the URL is printed: it is printed only once /ready says ready.
  readyWhenPrinted = (await fetch(`${url}/ready`)).status;
  token = readFileSync(join(dataDir, "api-token"), "utf8").trim();
  while (Date.now() < deadline) {
    const nodes = NodeListResponseSchema.parse(await (await fetch(`${url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json()).nodes;
    if (nodes[0]?.pools[0]?.ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("headless HOME profile (the npm start fallback)", () => {
  it("prints its URL only once /ready says ready, with a progress line while the local worker gets ready", () => {
    expect(readyWhenPrinted).toBe(200);
    const waiting = stdout.indexOf("llama-orch: waiting for the local worker to be ready (");
    expect(waiting).toBeGreaterThanOrEqual(0);
    expect(waiting).toBeLessThan(stdout.indexOf("Dashboard:"));
    expect(stdout).toContain("is ready with a local worker.");
    expect(stdout).not.toContain("Note:");
  });

  it("prints the dashboard URL with a one-time login code and where the token is", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).toContain(`bearer token in ${join(dataDir, "api-token")}`);
    expect(stdout).not.toContain(token);
  });

  it("serves a cluster of one that answers a chat completion from the generated demo model", async () => {
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["llama-orch-demo"]);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-orch-demo", messages: [{ role: "user", content: "Hello!" }], max_tokens: 8 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBe(8);
    // A chat with tools fits the demo's context (the tool instructions alone are ~600 tokens).
    const tools = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-orch-demo", messages: [{ role: "user", content: "Weather in Paris?" }], max_tokens: 48, tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }], tool_choice: "required" }),
    });
    expect(tools.status).toBe(200);
    const called = (await tools.json()) as { choices: { finish_reason: string; message: { tool_calls?: { function: { name: string } }[] } }[] };
    expect(called.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("get_weather");
  });

  it("SIGTERM ends in-flight streams with a terminal event, deregisters the local worker and exits 0", async () => {
    const taskId = crypto.randomUUID();
    await fetch(`${url}/v2/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ task_id: taskId, session_id: crypto.randomUUID(), workload: "completion", model_ref: "llama-orch-demo", engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hello", max_tokens: 500, deadline_ms: 60_000 }),
    });
    const stream = followTaskEvents(url, token, taskId);
    await stream.tokens(1);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const events = await stream.done;
    expect(["end", "error"]).toContain(terminal(events)?.event);
    expect(events.filter((e) => e.event.event === "end" || e.event.event === "error")).toHaveLength(1);
    expect(await exited).toBe(0);
    const db = new Database(join(dataDir, "orchestrator.db"), { readonly: true });
    const audit = db.prepare("SELECT action, target FROM audit_log WHERE action = 'node_deregistered'").all() as { action: string; target: string }[];
    db.close();
    expect(audit.map((a) => a.target)).toEqual(["local"]);
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../../scripts/gguf/write-tiny-gguf.js";
import { CatalogModelViewListSchema } from "../../src-shared/catalog/catalog-view.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";

// One models-folder story: the HOME profile (`npm start` headless) with POOL_MANAGERD_MODELS_DIR pointing
// at a folder of generated models serves those models and generates no demo model; ids follow the rule.
let child: ChildProcess;
let home: string;
let modelsDir: string;
let url = "";
let token = "";
let stdout = "";

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "llorch-home-models-"));
  modelsDir = join(home, "my-models");
  // One with a general.name, one with a blank one (its id is its file name).
  await writeTinyGguf(join(modelsDir, "alpha.gguf"), { size: "tiny", seed: 11, name: "alpha-model", chatTemplate: "chatml" });
  await writeTinyGguf(join(modelsDir, "beta-file.gguf"), { size: "tiny", seed: 12, name: " " });
  child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "--home", "--bind", "127.0.0.1:0", "--data-dir", join(home, "data")], {
    env: { PATH: process.env.PATH, HOME: home, LLORCH_LOG_LEVEL: "warn", POOL_MANAGERD_MODELS_DIR: modelsDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", () => {});
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !/Dashboard:\s+(http:\/\/\S+)\/login\?code=/.test(stdout)) await new Promise((r) => setTimeout(r, 50));
  url = /Dashboard:\s+(http:\/\/\S+)\/login\?code=/.exec(stdout)?.[1] ?? "";
  token = readFileSync(join(home, "data", "api-token"), "utf8").trim();
  while (Date.now() < deadline) {
    const nodes = NodeListResponseSchema.parse(await (await fetch(`${url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json()).nodes;
    if ((nodes[0]?.pools.filter((p) => p.ready).length ?? 0) >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

describe("headless HOME profile with POOL_MANAGERD_MODELS_DIR", () => {
  it("says which models folder it uses and where that came from", () => {
    expect(stdout).toContain(`Models:     ${modelsDir} (POOL_MANAGERD_MODELS_DIR)`);
  });

  it("serves the models of that folder and no demo model", async () => {
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id).sort()).toEqual(["alpha-model", "beta-file"]);
    expect(readdirSync(modelsDir).filter((f) => f.endsWith(".gguf")).sort()).toEqual(["alpha.gguf", "beta-file.gguf"]);
    expect(existsSync(join(home, ".cache", "llama-orch", "models"))).toBe(false);
    expect(existsSync(join(home, "data", "models", "llama-orch-demo.gguf"))).toBe(false);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "alpha-model", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }),
    });
    expect(res.status).toBe(200);
  });

  it("the catalog says how each id was made (GGUF name or file name)", async () => {
    const views = CatalogModelViewListSchema.parse(await (await fetch(`${url}/v2/catalog/models`, { headers: { authorization: `Bearer ${token}` } })).json()).models;
    const rules = Object.fromEntries(views.map((v) => [v.name, v.id_rule]));
    expect(rules).toEqual({ "alpha-model": { base: "gguf_name", alias: false }, "beta-file": { base: "file_name", alias: false } });
  });

  it("a SIGKILLed orchestrator takes its local worker with it (no orphan keeps serving)", async () => {
    const pid = child.pid as number;
    // The local worker is the headless process's child that runs the worker CLI.
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    const worker = children.find((c) => readFileSync(`/proc/${c}/cmdline`, "utf8").includes("worker-agent"));
    expect(worker, "the local worker process").toBeDefined();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const alive = () => existsSync(`/proc/${worker as number}`) && !readFileSync(`/proc/${worker as number}/stat`, "utf8").includes(") Z ");
    const deadline = Date.now() + 20_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  }, 30_000);
});

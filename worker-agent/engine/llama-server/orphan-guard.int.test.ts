// llama-server never outlives the agent: it runs under orphan-guard.ts, which holds an IPC channel to the
// agent. An "agent" process (plain Node importing the built guard) starts a long-running child under it;
// SIGKILLing that agent must take the child with it. Without the guard the child lived on as an orphan
// (found in this repository's own test runs: llama-server processes left behind by SIGKILLed workers).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test-support/wait-for.js";

const GUARD = pathToFileURL(join(process.cwd(), "dist/worker-agent/engine/llama-server/orphan-guard.js")).href;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

describe("the llama-server orphan guard", () => {
  it.skipIf(process.platform !== "linux")("a SIGKILLed agent takes the guarded child with it; the guard reports the child's own pid", async () => {
    const source = `import { spawnGuarded } from ${JSON.stringify(GUARD)};
spawnGuarded("sleep", ["300"], process.env, (pid) => console.log("child " + pid));
setInterval(() => {}, 1000);`;
    const agent = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    agent.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const pid = await waitFor("the child's pid", () => Number(/child (\d+)/.exec(out)?.[1] ?? 0) || undefined, 10_000);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("sleep");
    expect(alive(pid)).toBe(true);
    agent.kill("SIGKILL");
    await waitFor("the child gone", () => !alive(pid) || undefined, 10_000);
    expect(alive(pid)).toBe(false);
  }, 30_000);
});

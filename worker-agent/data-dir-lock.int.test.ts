// One worker agent per data dir: a second agent on the same dir (the same path, a symlink to it, a stopped
// holder) exits 3 naming the running one's pid and touches nothing; a SIGKILLed holder never blocks its restart.
import { spawnSync } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getJson, killAllWorkers, startWorker } from "../test-support/worker-agent-process.js";

afterAll(killAllWorkers);

/** `unshare -n` runs the agent in a network namespace of its own (root only), as a container would. */
function canUnshareNet(): boolean {
  return spawnSync("unshare", ["-n", "true"]).status === 0;
}

async function secondOn(dataDir: string, commandPrefix?: string[]) {
  const second = startWorker({ config: { data_dir: dataDir }, waitForListening: false, ...(commandPrefix !== undefined ? { commandPrefix } : {}) });
  const started = await second;
  const exit = await Promise.race([started.exited, new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000))]);
  if (exit === "running") await started.stop("SIGKILL");
  return { exit, stderr: started.stderr(), pid: started.pid };
}

describe("worker data dir lock", () => {
  it("refuses a second agent on the same data dir (path, symlink, stopped holder) with exit 3 and the holder's pid; a SIGKILLed holder is replaced", async () => {
    const first = await startWorker();
    const second = await secondOn(first.dataDir);
    expect(second.exit).toEqual({ code: 3, signal: null });
    expect(second.stderr).toContain(`the data dir ${first.dataDir} is in use by another running llama-orch-worker (pid ${first.pid})`);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    // The holder is undisturbed.
    expect((await getJson(`${first.url}/health`)).status).toBe(200);

    // The same dir under another name is the same dir.
    const alias = join(first.root, "alias");
    await symlink(first.dataDir, alias);
    const viaAlias = await secondOn(alias);
    expect(viaAlias.exit).toEqual({ code: 3, signal: null });
    expect(viaAlias.stderr).toContain(`(pid ${first.pid})`);

    // From another network namespace (a container on the same host path) the abstract socket is out of
    // reach: the socket file in the data dir still refuses it.
    if (canUnshareNet()) {
      const otherNetns = await secondOn(first.dataDir, ["unshare", "-n"]);
      expect(otherNetns.exit).toEqual({ code: 3, signal: null });
      expect(otherNetns.stderr).toContain(`(pid ${first.pid})`);
    }

    // A holder that cannot answer (stopped) still holds: refused, without a pid, within the 2 s ask bound.
    process.kill(first.pid, "SIGSTOP");
    try {
      const t0 = Date.now();
      const whileStopped = await secondOn(first.dataDir);
      expect(whileStopped.exit).toEqual({ code: 3, signal: null });
      expect(whileStopped.stderr).toContain("is in use by another running llama-orch-worker;");
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      process.kill(first.pid, "SIGCONT");
    }

    // SIGKILL leaves the socket file behind; the next agent takes the dir over.
    await first.stop("SIGKILL");
    const next = await startWorker({ config: { data_dir: first.dataDir } });
    expect((await getJson(`${next.url}/health`)).status).toBe(200);
    const fourth = await secondOn(first.dataDir);
    expect(fourth.exit).toEqual({ code: 3, signal: null });
    expect(fourth.stderr).toContain(`(pid ${next.pid})`);
    await next.stop("SIGTERM");
  }, 120_000);
});

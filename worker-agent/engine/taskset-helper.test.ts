import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { allowedCpus, parseCpuList } from "./engine-cpu-pinning.js";
import { TasksetHelper } from "./taskset-helper.js";

const cpus = allowedCpus();
const skip = process.platform !== "linux" || cpus.length < 2;
const helper = new TasksetHelper();
afterAll(() => helper.close());

const affinity = (pid: number): number[] => parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "");

describe.skipIf(skip)("TasksetHelper (real sh and taskset)", () => {
  it("sets a process's affinity, one request after another, and reports taskset's own error", async () => {
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pid = sleeper.pid as number;
      const last = cpus.at(-1) as number;
      await helper.set(pid, [last]);
      expect(affinity(pid)).toEqual([last]);
      await Promise.all([helper.set(pid, cpus), helper.set(pid, [cpus[0] as number])]);
      expect(affinity(pid)).toEqual([cpus[0]]);
      // A CPU this machine does not have: taskset's message, and the helper goes on serving.
      await expect(helper.set(pid, [4000])).rejects.toThrow(/taskset failed \(exit 1\): .*affinity/);
      await helper.set(pid, cpus);
      expect(affinity(pid)).toEqual(cpus);
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("refuses what is not a pid and a CPU list before the shell sees it", async () => {
    await expect(helper.set(0, [0])).rejects.toThrow("invalid affinity request");
    await expect(helper.set(process.pid, [])).rejects.toThrow("invalid affinity request");
    await expect(helper.set(process.pid, [1.5])).rejects.toThrow("invalid affinity request");
  });
});

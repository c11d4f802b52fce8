import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allowedCpus, EngineCpuPinner, enginesPinnedElsewhere, parseCpuList } from "./engine-cpu-pinning.js";

/** Records every affinity change instead of running taskset; `fail` makes it throw for those pids. */
function recorder(fail: ReadonlySet<number> = new Set()) {
  const calls: Array<[number, number[]]> = [];
  const setAffinity = (pid: number, cpus: readonly number[]): Promise<void> => {
    calls.push([pid, [...cpus]]);
    return fail.has(pid) ? Promise.reject(new Error(`taskset: failed to set pid ${pid}'s affinity: No such process`)) : Promise.resolve();
  };
  return { calls, setAffinity };
}

const AGENT = 1000;

describe("parseCpuList", () => {
  it("reads ranges and single CPUs, sorted, without duplicates", () => {
    expect(parseCpuList("0-1")).toEqual([0, 1]);
    expect(parseCpuList("0-3,6,8-9\n")).toEqual([0, 1, 2, 3, 6, 8, 9]);
    expect(parseCpuList("5,1-2,2")).toEqual([1, 2, 5]);
  });

  it("gives nothing for a malformed list rather than a guess", () => {
    for (const bad of ["", "a", "3-1", "1,,2", "0-99999", "-1"]) expect(parseCpuList(bad)).toEqual([]);
  });
});

describe("allowedCpus", () => {
  it("reads Cpus_allowed_list from a status file, and nothing when it cannot", () => {
    const dir = mkdtempSync(join(tmpdir(), "llorch-cpus-"));
    const status = join(dir, "status");
    writeFileSync(status, "Name:\tnode\nCpus_allowed:\tf\nCpus_allowed_list:\t0-2,7\nMems_allowed:\t1\n");
    expect(allowedCpus(status)).toEqual([0, 1, 2, 7]);
    expect(allowedCpus(join(dir, "missing"))).toEqual([]);
  });

  it("finds at least one CPU for this process on Linux", () => {
    if (process.platform !== "linux") return;
    expect(allowedCpus().length).toBeGreaterThan(0);
  });
});

describe("enginesPinnedElsewhere", () => {
  it("counts other agents' engines allowed on one CPU, not agents, not spread engines, not its own", () => {
    const proc = mkdtempSync(join(tmpdir(), "llorch-proc-"));
    const processEntry = (pid: number, cmdline: string, cpus: string): void => {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), "cmdline"), cmdline.split(" ").join("\0"));
      writeFileSync(join(proc, String(pid), "status"), `Name:\tnode\nCpus_allowed_list:\t${cpus}\n`);
    };
    processEntry(101, "/usr/bin/node /opt/w/dist/worker-agent/engine-host.js", "1");
    processEntry(102, "/usr/bin/node /opt/w/dist/worker-agent/engine-host.js", "1");
    processEntry(103, "/usr/bin/node /opt/w/dist/worker-agent/engine-host.js", "0-3"); // spread: not counted
    processEntry(104, "/usr/bin/node /opt/w/dist/worker-agent/cli.js start", "0"); // an agent kept off its engine's CPU
    processEntry(105, "/usr/bin/node /opt/w/dist/worker-agent/engine-host.js", "2"); // this agent's own
    mkdirSync(join(proc, "self"));
    expect([...enginesPinnedElsewhere(new Set([105]), proc)]).toEqual([[1, 2]]);
    expect(enginesPinnedElsewhere(new Set(), join(proc, "missing")).size).toBe(0);
  });
});

describe("EngineCpuPinner", () => {
  it("counts the engines other agents pinned, so two agents on one machine do not stack theirs on one CPU", async () => {
    const { setAffinity } = recorder();
    const seen: number[][] = [];
    const elsewhere = (own: ReadonlySet<number>): ReadonlyMap<number, number> => {
      seen.push([...own]);
      return new Map([[0, 1]]);
    };
    const pinner = new EngineCpuPinner([0, 1], setAffinity, 0, undefined, undefined, elsewhere);
    expect(await pinner.pin(11)).toMatchObject({ pinned: true, cpu: 1 });
    // Its own engines are told apart from the others'.
    expect(await pinner.pin(12)).toMatchObject({ pinned: true, cpu: 0 });
    expect(seen).toEqual([[11], [11, 12]]);
  });

  it("pins each engine to one CPU, spreading engines over the CPUs and reusing a released one", async () => {
    const { calls, setAffinity } = recorder();
    const pinner = new EngineCpuPinner([0, 1, 2], setAffinity, 1);
    const a = await pinner.pin(11);
    const b = await pinner.pin(12);
    const c = await pinner.pin(13);
    expect([a, b, c].map((o) => (o.pinned ? o.cpu : -1))).toEqual([1, 2, 0]);
    expect(calls).toEqual([
      [11, [1]],
      [12, [2]],
      [13, [0]],
    ]);
    // A fourth engine shares the first CPU of the rotation; a released CPU is the next one handed out.
    const d = await pinner.pin(14);
    expect(d).toMatchObject({ pinned: true, cpu: 1 });
    if (b.pinned) {
      b.release();
      b.release(); // twice: counted once
    }
    expect(await pinner.pin(15)).toMatchObject({ pinned: true, cpu: 2 });
    expect([...pinner.load()].sort()).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
  });

  it("does nothing on a single CPU, and reports a failed taskset without keeping the CPU", async () => {
    const single = recorder();
    expect(await new EngineCpuPinner([3], single.setAffinity).pin(11)).toEqual({ pinned: false, reason: "1 CPU allowed: nothing to choose" });
    expect(single.calls).toEqual([]);

    const failing = recorder(new Set([12]));
    const pinner = new EngineCpuPinner([0, 1], failing.setAffinity, 0);
    expect(await pinner.pin(12)).toEqual({ pinned: false, reason: expect.stringContaining("No such process") });
    expect(pinner.load().size).toBe(0);
    expect(await pinner.pin(13)).toMatchObject({ pinned: true, cpu: 0 });
  });

  it("keeps the agent off the pinned CPUs while some are free, and gives it all of them back", async () => {
    const { calls, setAffinity } = recorder();
    const pinner = new EngineCpuPinner([0, 1, 2, 3], setAffinity, 0, AGENT);
    const a = await pinner.pin(11);
    expect(pinner.agentAffinity()).toEqual([1, 2, 3]);
    const b = await pinner.pin(12);
    expect(pinner.agentAffinity()).toEqual([2, 3]);
    // A new engine starts on all the CPUs, not on the agent's narrowed set it inherited.
    await pinner.spawned(13);
    expect(calls.at(-1)).toEqual([13, [0, 1, 2, 3]]);
    if (a.pinned) a.release();
    await pinner.settled();
    if (b.pinned) b.release();
    await pinner.settled();
    const c = await pinner.pin(14);
    if (c.pinned) c.release();
    await pinner.settled();
    expect(pinner.agentAffinity()).toEqual([0, 1, 2, 3]);
    expect(calls.filter(([pid]) => pid === AGENT).map(([, cpus]) => cpus)).toEqual([[1, 2, 3], [2, 3], [0, 2, 3], [0, 1, 2, 3], [1, 2, 3], [0, 1, 2, 3]]);
  });

  it("leaves the agent on all CPUs when every CPU has an engine; a child is reset only while an engine is pinned", async () => {
    const { calls, setAffinity } = recorder();
    const pinner = new EngineCpuPinner([0, 1], setAffinity, 0, AGENT);
    await pinner.spawned(10);
    expect(calls).toEqual([]); // nothing pinned, the agent on all CPUs: nothing to reset
    const a = await pinner.pin(11);
    expect(pinner.agentAffinity()).toEqual([1]);
    const b = await pinner.pin(12);
    expect(pinner.agentAffinity()).toEqual([0, 1]);
    // The agent's record says all CPUs, but engines are pinned (its narrowing could be under way): reset.
    await pinner.spawned(13);
    expect(calls.at(-1)).toEqual([13, [0, 1]]);
    if (a.pinned) a.release();
    if (b.pinned) b.release();
    await pinner.settled();
    const before = calls.length;
    await pinner.spawned(14);
    expect(calls.length).toBe(before);
  });

  it("lets a pinned engine onto all CPUs and back, in order, the latest request winning", async () => {
    const { calls, setAffinity } = recorder();
    const pinner = new EngineCpuPinner([0, 1], setAffinity, 1);
    const pin = await pinner.pin(11);
    if (!pin.pinned) throw new Error("not pinned");
    expect(pin.cpu).toBe(1);
    await pin.spread(true);
    expect(calls.at(-1)).toEqual([11, [0, 1]]);
    // Busy 2 → 1 → 2 → 1 in one turn: only the last state is applied.
    const before = calls.length;
    void pin.spread(true);
    void pin.spread(false);
    void pin.spread(true);
    await pin.spread(false);
    expect(calls.slice(before)).toEqual([[11, [1]]]);
    pin.release();
    await pin.spread(true);
    expect(calls.length).toBe(before + 1);
  });

  it("keeps serving when the agent cannot be moved, and says so", async () => {
    const warnings: string[] = [];
    const { setAffinity } = recorder(new Set([AGENT]));
    const pinner = new EngineCpuPinner([0, 1], setAffinity, 0, AGENT, (m) => warnings.push(m));
    expect(await pinner.pin(11)).toMatchObject({ pinned: true, cpu: 0 });
    expect(pinner.agentAffinity()).toEqual([0, 1]);
    expect(warnings).toEqual([expect.stringContaining("could not move the agent to CPUs 1")]);
  });
});

import { readdirSync, readFileSync } from "node:fs";

// A node-llama-cpp engine decoding with one llama.cpp thread hands every token back and forth between
// two threads of its process: the libuv pool thread that runs llama_decode and the sampling, and the
// JavaScript thread that turns the token into text and queues the next decode. They take turns, but
// left to the scheduler they run on different cores, so each token crosses cores four times (an idle
// core woken, the logits and the batch in another core's cache). Measured on two cores, one stream
// (docs/PERFORMANCE.md, "One CPU per one-thread engine"): the big model's decoding thread spent 1–1.5 ms
// more CPU per token than llama-server's; pinned, the worker went from 0.77× to 0.93× llama-server's
// tok/s (big) and from 0.70–0.85× to 1.10–1.13× (medium), in the same runs. So such an engine is pinned,
// all its threads, to one CPU of the agent's own affinity, and engines of several pools to different
// CPUs. While it serves several streams it may use all CPUs again (see PinnedEngine.spread). Engines
// with more threads are left to the scheduler (their threads do run side by side; not measured here),
// and so are GPU backends.

/** CPUs from a Linux CPU list ("0-3,6,8-9"); an empty list for anything malformed. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) return [];
    const from = Number(match[1]);
    const to = match[2] !== undefined ? Number(match[2]) : from;
    if (to < from || to - from > 4096) return [];
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The CPUs this process may run on (Linux: Cpus_allowed_list of /proc/self/status); empty elsewhere. */
export function allowedCpus(statusPath = "/proc/self/status"): number[] {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(statusPath, "utf8"));
    return line?.[1] !== undefined ? parseCpuList(line[1]) : [];
  } catch {
    return [];
  }
}

/**
 * Engines that other agents on this machine pinned, per CPU: processes running engine-host.js that are
 * allowed on exactly one CPU. Two agents on one machine (a test fleet, one agent per GPU) would
 * otherwise each start their rotation blind and could stack their engines on one CPU.
 */
export function enginesPinnedElsewhere(ownPids: ReadonlySet<number>, procDir = "/proc"): Map<number, number> {
  const counts = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return counts;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || ownPids.has(Number(entry))) continue;
    try {
      if (!readFileSync(`${procDir}/${entry}/cmdline`, "utf8").includes("engine-host.js")) continue;
      const cpus = allowedCpus(`${procDir}/${entry}/status`);
      if (cpus.length === 1) counts.set(cpus[0] as number, (counts.get(cpus[0] as number) ?? 0) + 1);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return counts;
}

/** Sets the CPU affinity of every thread of `pid` (threads it starts later inherit it): taskset-helper.ts. */
export type SetAffinity = (pid: number, cpus: readonly number[]) => Promise<void>;

/** A pinned engine: its CPU, how to let it onto all CPUs while it serves several streams, and how to give the CPU back. */
export interface PinnedEngine {
  readonly cpu: number;
  /**
   * `true`: the engine may run on all the agent's CPUs (several streams: its JavaScript thread then works
   * on one token while the pool thread samples the next, which one CPU would serialise); `false`: back on
   * its CPU. Changes are applied in order, the latest wins; never throws.
   */
  spread(all: boolean): Promise<void>;
  release(): void;
}

/** Where an engine was pinned, or why it was not. */
export type PinOutcome = ({ pinned: true } & PinnedEngine) | { pinned: false; reason: string };

/**
 * Hands out one CPU per one-thread engine of this agent: the CPU with the fewest engines pinned to it,
 * this agent's and other agents' (`pinnedElsewhere`), ties broken in a rotation that starts at `offset`
 * (the agent's pid).
 *
 * With `agentPid`, the agent itself is kept off the pinned CPUs while some are left: each token's IPC
 * write wakes the agent, and the scheduler likes to wake a task on the waker's CPU, which here is the
 * engine's, where it then takes turns with the decoding thread (measured: 3.45–3.74 ms per token with
 * the agent on the other CPU against 3.5–6.2 ms without). Children the agent starts inherit its
 * affinity, so a new engine is given back all the CPUs (`spawned`) before it is pinned or calibrates.
 */
export class EngineCpuPinner {
  private readonly engines = new Map<number, number>(); // cpu → engines pinned to it
  /** This agent's pinned engines (not counted again as another agent's). */
  private readonly pids = new Set<number>();
  /** The CPUs the agent was last set to (all of them until an engine is pinned). */
  private agentCpus: readonly number[];
  /** Serialises the agent's affinity updates (taskset runs are asynchronous). */
  private agentUpdate: Promise<void> = Promise.resolve();

  constructor(
    private readonly cpus: readonly number[],
    private readonly setAffinity: SetAffinity,
    private readonly offset = process.pid,
    private readonly agentPid: number | undefined = undefined,
    private readonly warn: (message: string) => void = () => undefined,
    private readonly pinnedElsewhere: (ownPids: ReadonlySet<number>) => ReadonlyMap<number, number> = () => new Map(),
  ) {
    this.agentCpus = cpus;
  }

  /**
   * A child the agent just started: all the agent's CPUs, whatever the agent runs on now. While any engine
   * is pinned the agent may be narrowed (or about to be: its taskset may still be running), so the child
   * is reset then even if the agent's last recorded set is all CPUs. Never throws.
   */
  async spawned(pid: number): Promise<void> {
    if (this.engines.size === 0 && this.agentCpus.length === this.cpus.length) return;
    await this.setAffinity(pid, this.cpus).catch((error: unknown) => this.warn(`could not give engine ${pid} all CPUs back: ${describe(error)}`));
  }

  /** Pins every thread of the engine process `pid` to one CPU; never throws. */
  async pin(pid: number): Promise<PinOutcome> {
    if (this.cpus.length < 2) return { pinned: false, reason: `${this.cpus.length} CPU allowed: nothing to choose` };
    const cpu = this.choose(this.pinnedElsewhere(new Set([...this.pids, pid])));
    this.claim(cpu);
    this.pids.add(pid);
    let released = false;
    let claimed = true;
    const release = (): void => {
      if (released) return;
      released = true;
      this.pids.delete(pid);
      if (claimed) this.unclaim(cpu);
      void this.placeAgent();
    };
    try {
      await this.setAffinity(pid, [cpu]);
    } catch (error) {
      release();
      return { pinned: false, reason: describe(error) };
    }
    await this.placeAgent();
    let spreadNow = false;
    let wanted = false;
    let applying: Promise<void> = Promise.resolve();
    const spread = (all: boolean): Promise<void> => {
      wanted = all;
      applying = applying.then(async () => {
        if (released || wanted === spreadNow) return;
        const target = wanted;
        try {
          await this.setAffinity(pid, target ? this.cpus : [cpu]);
        } catch (error) {
          this.warn(`could not ${target ? `spread engine ${pid} over all CPUs` : `pin engine ${pid} back to CPU ${cpu}`}: ${describe(error)}`);
          return;
        }
        spreadNow = target;
        // A spread engine is not on its CPU alone any more: the agent may use that CPU too meanwhile.
        if (released) return;
        claimed = !target;
        if (target) this.unclaim(cpu);
        else this.claim(cpu);
        await this.placeAgent();
      });
      return applying;
    };
    return { pinned: true, cpu, spread, release };
  }

  /** Engines pinned per CPU now (for tests and diagnostics). */
  load(): ReadonlyMap<number, number> {
    return this.engines;
  }

  /** Resolves once the agent's affinity changes queued so far are applied. */
  settled(): Promise<void> {
    return this.agentUpdate;
  }

  /** The CPUs the agent runs on now (all of them when no agent pid was given). */
  agentAffinity(): readonly number[] {
    return this.agentCpus;
  }

  /** Off the pinned CPUs when any are left, else back on all of them. */
  private placeAgent(): Promise<void> {
    const agentPid = this.agentPid;
    if (agentPid === undefined) return Promise.resolve();
    this.agentUpdate = this.agentUpdate.then(async () => {
      const free = this.cpus.filter((cpu) => !this.engines.has(cpu));
      const target = free.length > 0 && this.engines.size > 0 ? free : this.cpus;
      if (target.length === this.agentCpus.length && target.every((cpu, i) => this.agentCpus[i] === cpu)) return;
      try {
        await this.setAffinity(agentPid, target);
        this.agentCpus = target;
      } catch (error) {
        this.warn(`could not move the agent to CPUs ${target.join(",")}: ${describe(error)}`);
      }
    });
    return this.agentUpdate;
  }

  private claim(cpu: number): void {
    this.engines.set(cpu, (this.engines.get(cpu) ?? 0) + 1);
  }

  private unclaim(cpu: number): void {
    const left = (this.engines.get(cpu) ?? 1) - 1;
    if (left > 0) this.engines.set(cpu, left);
    else this.engines.delete(cpu);
  }

  private choose(elsewhere: ReadonlyMap<number, number>): number {
    const n = this.cpus.length;
    const start = ((this.offset % n) + n) % n;
    let best = this.cpus[start] as number;
    let fewest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const cpu = this.cpus[(start + i) % n] as number;
      const count = (this.engines.get(cpu) ?? 0) + (elsewhere.get(cpu) ?? 0);
      if (count < fewest) {
        best = cpu;
        fewest = count;
      }
    }
    return best;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `measure` with every thread of process `pid` on one CPU (the last of `cpus`), then puts it back
 * on all of `cpus`: the thread calibration's one-thread candidate, timed as a pinned engine serves. A
 * failed pin measures unpinned (the calibration then only leans towards more threads, as before).
 */
export function onOneCpu(setAffinity: SetAffinity, pid: number, cpus: readonly number[]): <T>(measure: () => Promise<T>) => Promise<T> {
  return async (measure) => {
    const cpu = cpus.at(-1);
    const pinned = cpu !== undefined && cpus.length >= 2 && (await setAffinity(pid, [cpu]).then(() => true, () => false));
    try {
      return await measure();
    } finally {
      if (pinned) await setAffinity(pid, cpus).catch(() => undefined);
    }
  };
}

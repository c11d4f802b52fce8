// Chooses and applies faults with a seeded RNG (printed, so a failing run can be replayed), and
// heals each after a bounded time. Every fault is recorded in the history and printed.
import { copyFile, open, rename, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { Prng } from "../../scripts/gguf/prng.js";
import { testModelPath, TEST_MODELS } from "../models.js";
import { FAULT_TOKEN, type ClusterNode, type FaultCluster } from "./fault-cluster.js";
import type { History } from "./history.js";

export const FAULT_KINDS = ["worker-sigkill", "worker-sigstop", "engine-sigkill", "engine-sigstop", "orchestrator-restart", "orchestrator-sigstop", "model-truncate", "model-rewrite", "net-latency", "net-blackhole", "net-reset", "net-corrupt"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Relative weights: the heavy faults (restarts) are rarer. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  "worker-sigkill": 2, "worker-sigstop": 2, "engine-sigkill": 2, "engine-sigstop": 1, "orchestrator-restart": 1, "orchestrator-sigstop": 1, "model-truncate": 1, "model-rewrite": 1, "net-latency": 2, "net-blackhole": 2, "net-reset": 2, "net-corrupt": 1,
};

export interface Detection {
  kind: "crash" | "hang";
  node: string;
  /** History time of the fault. */
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultInjector {
  readonly counts: Partial<Record<FaultKind, number>> = {};
  /** Faults whose detection (node leaves Online) the run times. */
  readonly detections: Detection[] = [];
  private readonly healing = new Set<Promise<unknown>>();

  constructor(
    private readonly cluster: FaultCluster,
    private readonly rng: Prng,
    private readonly history: History,
    private readonly log: (line: string) => void,
  ) {}

  private choose(): FaultKind {
    const total = FAULT_KINDS.reduce((n, k) => n + WEIGHTS[k], 0);
    let r = this.rng() * total;
    for (const k of FAULT_KINDS) if ((r -= WEIGHTS[k]) < 0) return k;
    return "net-latency";
  }

  /** A node that is up and not stopped (faults do not pile onto one already faulted node). */
  private liveNode(): ClusterNode | undefined {
    const live = this.cluster.nodes.filter((n) => n.worker !== undefined && !n.stopped && n.proxy.fault.kind === "pass");
    return live[Math.floor(this.rng() * live.length)];
  }

  private later(ms: number, heal: () => Promise<void> | void): void {
    // ESRCH: the process died meanwhile (an engine restarted), so there is nothing left to heal.
    const p = sleep(ms)
      .then(heal)
      .catch((err: unknown) => (err as { code?: string }).code !== "ESRCH" && this.log(`heal failed: ${String(err)}`));
    this.healing.add(p);
    void p.finally(() => this.healing.delete(p));
  }

  async injectOne(n: number): Promise<void> {
    const kind = this.choose();
    const node = this.liveNode();
    if (node === undefined && !kind.startsWith("orchestrator-")) return;
    const worker = node?.worker;
    const heldMs = 1000 + Math.floor(this.rng() * 3000);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    const on = kind.startsWith("orchestrator-") ? undefined : node;
    this.history.add({ kind: "fault", fault: kind, ...(on !== undefined ? { node: on.nodeId } : {}) });
    this.log(`fault #${n} t=${this.history.now()}ms ${kind}${on !== undefined ? ` on ${on.nodeId}` : ""}${kind.startsWith("net") || kind.endsWith("sigstop") ? ` for ${kind === "orchestrator-sigstop" || kind === "worker-sigstop" ? heldMs * 2 : heldMs} ms` : ""}`);
    switch (kind) {
      case "worker-sigkill":
        if (node === undefined || worker === undefined) return;
        this.detections.push({ kind: "crash", node: node.nodeId, at: this.history.now() });
        process.kill(worker.pid, "SIGKILL");
        node.worker = undefined;
        this.later(heldMs, () => this.cluster.startNode(node));
        return;
      case "worker-sigstop":
        if (node === undefined || worker === undefined) return;
        // Held past node_timeout_ms sometimes, so hang detection is exercised too.
        this.detections.push({ kind: "hang", node: node.nodeId, at: this.history.now() });
        process.kill(worker.pid, "SIGSTOP");
        node.stopped = true;
        this.later(heldMs * 2, () => {
          process.kill(worker.pid, "SIGCONT");
          node.stopped = false;
        });
        return;
      case "engine-sigkill":
      case "engine-sigstop": {
        if (worker === undefined) return;
        const pid = await this.enginePid(worker.address);
        if (pid === undefined) return;
        if (kind === "engine-sigkill") process.kill(pid, "SIGKILL");
        else {
          process.kill(pid, "SIGSTOP");
          this.later(heldMs, () => {
            process.kill(pid, "SIGCONT");
          });
        }
        return;
      }
      case "orchestrator-restart":
        await this.cluster.killOrchestrator();
        await sleep(300 + Math.floor(this.rng() * 1000));
        await this.cluster.restartOrchestrator();
        return;
      case "orchestrator-sigstop": {
        // Its own pause (a paused VM, a blocked loop), past node_timeout_ms sometimes: healthy workers must not be blamed.
        const orchestrator = this.cluster.orchestrator();
        if (orchestrator === undefined) return;
        process.kill(orchestrator.pid, "SIGSTOP");
        this.later(heldMs * 2, () => {
          process.kill(orchestrator.pid, "SIGCONT");
        });
        return;
      }
      case "model-truncate":
      case "model-rewrite": {
        if (node === undefined || worker === undefined) return;
        const kindOf = node.models[Math.floor(this.rng() * node.models.length)] ?? "tiny";
        const path = join(worker.modelsDir, TEST_MODELS[kindOf].file);
        // Already quarantined by an earlier fault and not back yet: nothing to corrupt.
        const size = (await stat(path).catch(() => undefined))?.size;
        if (size === undefined) return;
        if (kind === "model-truncate") await truncate(path, Math.floor(size / 2));
        else {
          const handle = await open(path, "r+");
          await handle.write(Buffer.alloc(64 * 1024, 0x5a), 0, 64 * 1024, Math.floor(size / 3));
          await handle.close();
        }
        // An operator puts a good copy back (by rename: a new file).
        this.later(heldMs + 2000, async () => {
          await copyFile(testModelPath(kindOf), `${path}.restore`);
          await rename(`${path}.restore`, path);
        });
        return;
      }
      case "net-latency":
        node?.proxy.set({ kind: "latency", ms: 50 + Math.floor(this.rng() * 250) });
        break;
      case "net-blackhole":
        node?.proxy.set({ kind: "blackhole" });
        break;
      case "net-reset":
        node?.proxy.set({ kind: "reset" });
        this.later(100, () => node?.proxy.set({ kind: "pass" }));
        return;
      case "net-corrupt":
        node?.proxy.set({ kind: "corrupt", probability: 0.05 });
        break;
    }
    this.later(heldMs, () => node?.proxy.set({ kind: "pass" }));
  }

  private async enginePid(workerUrl: string): Promise<number | undefined> {
    try {
      const headers = { authorization: `Bearer ${FAULT_TOKEN}` };
      const pools = ((await (await fetch(`${workerUrl}/v2/pools`, { headers, signal: AbortSignal.timeout(2000) })).json()) as { pools: { pool_id: string }[] }).pools;
      const pool = pools[Math.floor(this.rng() * pools.length)];
      if (pool === undefined) return undefined;
      const d = (await (await fetch(`${workerUrl}/v2/pools/${pool.pool_id}/diagnostics`, { headers, signal: AbortSignal.timeout(2000) })).json()) as { engine_pid: number | null };
      return d.engine_pid ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** Waits for every pending heal (restarts, SIGCONTs, proxies back to pass). */
  async healAll(): Promise<void> {
    while (this.healing.size > 0) await Promise.all([...this.healing]);
  }
}

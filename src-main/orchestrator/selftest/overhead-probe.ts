import { randomUUID } from "node:crypto";
import type { OverheadResult } from "../../../src-shared/selftest/selftest.js";
import type { WorkerClients } from "../workers/worker-clients.js";
import { summarize } from "./latency-summary.js";
import type { SelfClient } from "./self-client.js";
import type { TestTarget } from "./test-target.js";

export const SELFTEST_PROMPT = "The quick brown fox";

export interface OverheadOptions {
  target: TestTarget;
  samples: number;
  maxTokens: number;
  workers: WorkerClients;
  self: SelfClient;
  /** How long a worker stream may stay silent (the orchestrator's own worker_stream_idle_ms). */
  idleMs: number;
  signal: AbortSignal;
  /** One sample (either path) done. */
  step: () => void;
}

/**
 * Router overhead: the same small greedy completion sent straight to the worker's own API and through
 * the orchestrator's /v1/completions, one at a time and interleaved (the order flips every pair, so a
 * warm cache or a busy moment favours neither path). One uncounted warm-up each.
 */
export async function measureOverhead(o: OverheadOptions): Promise<OverheadResult> {
  const client = o.workers.forNode(o.target.node_id);
  if (client === undefined) return { status: "failed", reason: `node ${o.target.node_id} left the cluster` };
  const direct = async (): Promise<number> => {
    const t0 = performance.now();
    const terminal = await client.infer(o.target.pool_id, { task_id: `selftest-${randomUUID()}`, prompt: SELFTEST_PROMPT, max_tokens: o.maxTokens, temperature: 0 }, o.signal, o.idleMs, { event: () => true });
    if (terminal?.event === "error") throw new Error(`worker: ${terminal.data.code}: ${terminal.data.message}`);
    if (terminal?.event !== "end") throw new Error("worker stream ended without end");
    return performance.now() - t0;
  };
  const through = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await o.self.call("POST", "/v1/completions", { model: `sha256:${o.target.model_sha256}`, prompt: SELFTEST_PROMPT, max_tokens: o.maxTokens, temperature: 0 }, o.signal);
    if (res.status !== 200) throw new Error(`orchestrator answered ${res.status}: ${JSON.stringify(res.json).slice(0, 200)}`);
    return performance.now() - t0;
  };
  const directMs: number[] = [];
  const throughMs: number[] = [];
  let errors = 0;
  let lastError = "";
  const sample = async (path: () => Promise<number>, into: number[] | null) => {
    try {
      const ms = await path();
      into?.push(ms);
    } catch (err) {
      if (o.signal.aborted) throw err;
      errors += 1;
      lastError = err instanceof Error ? err.message : String(err);
    }
  };
  await sample(direct, null);
  await sample(through, null);
  for (let i = 0; i < o.samples; i += 1) {
    o.signal.throwIfAborted();
    const pair: [() => Promise<number>, number[]][] = [[direct, directMs], [through, throughMs]];
    if (i % 2 === 1) pair.reverse();
    for (const [path, into] of pair) {
      await sample(path, into);
      o.step();
    }
  }
  if (directMs.length === 0 || throughMs.length === 0) return { status: "failed", reason: `no successful sample on one path (${errors} errors; last: ${lastError})` };
  const d = summarize(directMs);
  const t = summarize(throughMs);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { status: "ok", model: o.target.model_name, pool_id: o.target.pool_id, node_id: o.target.node_id, max_tokens: o.maxTokens, direct: d, through: t, added_p50_ms: round(t.p50_ms - d.p50_ms), added_p99_ms: round(t.p99_ms - d.p99_ms), errors };
}

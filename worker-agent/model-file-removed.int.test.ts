// Issue 14 item 6: deleting a model file used to reset its pool's streams ~1.5 s later. The engine
// maps the file, and a deleted file stays readable while mapped, so running streams now finish from
// memory while the pool drains (no new admissions), and the pool goes afterwards.
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolStatus } from "../src-shared/worker-api/pool-status.js";
import { testModelPath } from "../test-support/models.js";
import { getJson, killAllWorkers, startWorker, streamInfer, terminalEvent, tokenTexts, waitFor, type StartedWorker } from "../test-support/worker-agent-process.js";

// ~2 ms per token at best: at least ~2 s of streaming, well past the old 1.5 s reset.
const TOKENS = 1000;
let worker: StartedWorker;

const pools = async () => (await getJson<{ pools: PoolStatus[] }>(`${worker.url}/v2/pools`)).body.pools;

beforeAll(async () => {
  worker = await startWorker({ models: { "medium.gguf": testModelPath("medium") }, config: { auto_pool_slots: 2, catalog_poll_ms: 200, shutdown_drain_ms: 60_000 } });
  await waitFor(pools, (p) => p.length === 1 && p[0]?.ready === true, 30_000);
}, 60_000);

afterAll(() => killAllWorkers());

describe("a model file deleted under a running stream", () => {
  it("lets the stream finish from memory, refuses new tasks on that pool, then removes the pool", async () => {
    const poolId = (await pools())[0]?.pool_id as string;
    let deleted = false;
    let refusedWhileDraining: number | undefined;
    const result = await streamInfer(worker.url, poolId, { task_id: "long-1", prompt: "Once upon a time", max_tokens: TOKENS }, async (event, index) => {
      if (event.event !== "token" || deleted || index < 3) return;
      deleted = true;
      await unlink(join(worker.modelsDir, "medium.gguf"));
      await waitFor(pools, (p) => p[0]?.draining === true, 10_000);
      refusedWhileDraining = (await streamInfer(worker.url, poolId, { task_id: "late-1", prompt: "Hi", max_tokens: 4 })).status;
    });
    expect(deleted).toBe(true);
    expect(refusedWhileDraining).toBe(503);
    expect(terminalEvent(result)).toMatchObject({ event: "end", data: { tokens_out: TOKENS } });
    expect(tokenTexts(result)).toHaveLength(TOKENS);
    await waitFor(pools, (p) => p.length === 0, 10_000);
    expect(worker.logs.some((l) => l.msg === "model removed; draining its pool")).toBe(true);
  }, 60_000);
});

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { startNodeFleet, type NodeFleet } from "../../test-support/node-fleet.js";
import { submitTasks } from "../../test-support/submit-tasks.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// A placement decision holds the registry snapshot of its pump (one candidate object per pool) until its
// explanation is read. Found by the fleet adversary: with 1,000 nodes, 1,000 running tasks (each placed in
// a pump of its own) pinned ~156 MB of heap, nodes × running tasks, through the task's decision and the
// scheduler's closures over it for as long as the stream ran. Only the newest placements keep it now
// (PLACED_EXPLAINED_KEPT, 100); older ones keep the decision's summary, as old finished tasks did.
const FLEET = 400;
const TASKS = 400;
/**
 * Measured on the 2-core dev box: 36 MB of growth without the fix, 15 MB with it (the 100 newest snapshots,
 * and 400 open streams whose both ends are in this process).
 */
const HEAP_BOUND_BYTES = 25 * 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

let orch: TestOrchestrator;
let fleet: NodeFleet;

beforeAll(async () => {
  // The simulated nodes heartbeat once (as the other fleet tests): long liveness bounds keep them Online.
  orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0, node_suspect_ms: 60_000, node_timeout_ms: 120_000, admission_capacity: 1000 });
  fleet = await startNodeFleet((path, init) => orch.api(path, init), FLEET, 32, { holdInfers: true });
}, 90_000);

afterAll(async () => {
  await fleet?.close();
  await orch?.close();
});

describe("placements of running tasks at fleet scale", () => {
  it("keep their full explanation only for the newest placements, so heap does not grow with nodes × running tasks", async () => {
    const before = await settledHeap();
    // One at a time: each task is placed in a pump of its own (its own snapshot), as steady traffic is.
    const ids = await submitTasks((path, init) => orch.api(path, init), TASKS, "fleet-sim", { max_tokens: 4 });
    const state = async (id: string) => TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json());
    await waitFor("every task running on a fleet node", async () => (await state(ids.at(-1) as string)).state === "running", 30_000);
    expect((await state(ids[0] as string)).state).toBe("running");
    const growth = (await settledHeap()) - before;
    console.log(`running placements: ${TASKS} tasks on ${FLEET} nodes, heap growth ${(growth / 1048576).toFixed(2)} MB`);
    expect(growth).toBeLessThan(HEAP_BOUND_BYTES);
    // The newest placement still explains every candidate; the oldest gives its summary's top candidates.
    expect((await state(ids.at(-1) as string)).placement?.candidates).toHaveLength(FLEET);
    const oldest = (await state(ids[0] as string)).placement?.candidates ?? [];
    expect(oldest.length).toBeGreaterThan(0);
    expect(oldest.length).toBeLessThan(FLEET);
  });
});

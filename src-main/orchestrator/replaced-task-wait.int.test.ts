import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { taskRequest } from "../../test-support/fixtures.js";
import type { NodeFleet } from "../../test-support/node-fleet.js";
import { startHeldFleet, type HeldFleet } from "../../test-support/held-fleet.js";
import type { TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import type * as PlaceTaskModule from "./placement/place-task.js";

// Found by the fleet-under-load adversary: 1,000 simulated nodes with 1,000 held streams and thousands of
// queued tasks. A blip turned some nodes Suspect; their streams failed over (re-placed before their first
// token), and with every other holder busy each re-placed task was placed on its own in every pass (4 a
// second and on every state change) — with no pool eligible that is the full explanation of every pool,
// sorted, a sentence each. Passes took seconds, heartbeats waited behind them, more nodes turned Suspect and
// failed over more streams: 517 false Suspect/Offline transitions in 15 s and submissions at 19/s. A
// re-placed task now waits without a placement, as a fresh one does, while a holder it has not failed on is
// schedulable. placeTask is counted here (the scheduler's call, in this process).

const placements = vi.hoisted(() => ({ calls: 0 }));
vi.mock("./placement/place-task.js", async (importOriginal) => {
  const original = await importOriginal<typeof PlaceTaskModule>();
  return {
    ...original,
    placeTask: (...args: Parameters<typeof original.placeTask>) => {
      placements.calls++;
      return original.placeTask(...args);
    },
  };
});

const FLEET = 20; // 4 slots each: 80 running tasks
const SILENT = 10; // nodes 10..19 stop heartbeating: their 40 running tasks fail over onto a full cluster
const QUEUED = 200;
let held: HeldFleet | undefined;
let orch: TestOrchestrator;
let fleet: NodeFleet;

beforeAll(async () => {
  held = await startHeldFleet(FLEET);
  ({ orch, fleet } = held);
}, 60_000);

afterAll(() => held?.close());

const nodes = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;

describe("streams failing over onto a cluster with no free slot", () => {
  it("wait in the queue without a placement per pass, and are not failed", async () => {
    let beating = "all" as "all" | "some" | "none";
    const beats = (async () => {
      for (let round = 1; beating !== "none"; round++) {
        const only = beating === "all" ? undefined : (i: number) => i < FLEET - SILENT;
        await fleet.heartbeatAll(round, undefined, only);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < FLEET * 4 + QUEUED) {
        next++;
        const task = taskRequest("fleet-sim", { deadline_ms: 600_000 });
        const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(task) });
        expect(res.status).toBe(202);
        await res.body?.cancel();
        ids.push(task.task_id);
      }
    }));
    const running = async () => {
      let n = 0;
      for (const id of ids) if (((await (await orch.api(`/v2/tasks/${id}`)).json()) as { state: string }).state === "running") n++;
      return n;
    };
    await waitFor("every slot running", async () => (await running()) === FLEET * 4, 30_000);

    beating = "some";
    await waitFor("the silent nodes Suspect", async () => (await nodes()).filter((n) => n.status === "Suspect").length === SILENT, 30_000);
    // Their streams fail over (no token was sent: re-placed), find every other slot busy and queue.
    await waitFor("their tasks back in the queue", async () => (await running()) === (FLEET - SILENT) * 4, 30_000);
    placements.calls = 0;
    await new Promise((r) => setTimeout(r, 3000));
    const calls = placements.calls;
    beating = "none";
    await beats;

    console.log(`placements in 3 s: ${calls} with ${SILENT * 4} re-placed tasks queued`);
    // Without the fix: every re-placed task placed in every pass (≥ 4 passes a second): hundreds.
    expect(calls).toBeLessThan(SILENT * 4);
    const states = new Map<string, number>();
    for (const id of ids) {
      const { state } = (await (await orch.api(`/v2/tasks/${id}`)).json()) as { state: string };
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    // Nothing failed: the re-placed tasks wait for a slot like the queued ones.
    expect(Object.fromEntries(states)).toEqual({ running: (FLEET - SILENT) * 4, queued: QUEUED + SILENT * 4 });
    expect((await nodes()).filter((n) => n.status === "Online").length).toBe(FLEET - SILENT);
  });
});

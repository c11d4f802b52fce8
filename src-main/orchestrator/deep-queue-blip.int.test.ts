import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { taskRequest } from "../../test-support/fixtures.js";
import type { NodeFleet } from "../../test-support/node-fleet.js";
import { startHeldFleet, type HeldFleet } from "../../test-support/held-fleet.js";
import type { TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import type * as PlaceTaskModule from "./placement/place-task.js";

// Found by the fleet adversary: 10,000 tasks queued on 1,000 simulated nodes, then a cancel storm. One
// event-loop blip turned the nodes Suspect at once; with no schedulable holder left, every pass placed
// each of the 10,000 queued tasks on its own — a full explanation of all 1,000 pools per task — a 20 s
// stall that turned every node Offline and failed the whole queue. Within a pass, tasks that cannot be
// placed get the answer of the first task of their kind (model and placement wishes): one placement
// per kind, not per task. placeTask is counted here (the scheduler's call, in this process).

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

const FLEET = 10; // 4 slots each: 40 running tasks (each failing over is placed on its own, pass after pass)
const QUEUED = 3000;
let held: HeldFleet | undefined;
let orch: TestOrchestrator;
let fleet: NodeFleet;

beforeAll(async () => {
  held = await startHeldFleet(FLEET);
  ({ orch, fleet } = held);
}, 60_000);

afterAll(() => held?.close());

const statuses = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.map((n) => n.status);

describe("a deep queue when every holder turns unschedulable at once", () => {
  it("is placed once per kind of task in a pass, not once per queued task", async () => {
    // Keep the fleet alive while the queue fills.
    let beating = true;
    const beats = (async () => {
      for (let round = 1; beating; round++) {
        await fleet.heartbeatAll(round);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < FLEET * 4 + QUEUED) {
        next++;
        const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(taskRequest("fleet-sim", { deadline_ms: 600_000 })) });
        expect(res.status).toBe(202);
        await res.body?.cancel();
      }
    }));
    beating = false;
    await beats;
    expect((await statuses()).every((s) => s === "Online")).toBe(true);

    placements.calls = 0;
    await waitFor("every node Suspect", async () => (await statuses()).every((s) => s === "Suspect"), 20_000);
    // Passes after the blip: the running tasks fail over (each placed again on its own), the queue is answered per kind.
    await new Promise((r) => setTimeout(r, 1500));
    console.log(`placements after the blip: ${placements.calls} for ${FLEET * 4} running and ${QUEUED} queued tasks`);
    expect(placements.calls).toBeLessThan(QUEUED / 2);
  });
});

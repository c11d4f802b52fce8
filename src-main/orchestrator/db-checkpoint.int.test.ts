// The orchestrator checkpoints its database from the WAL checkpoint thread (db/wal-checkpointer.ts):
// /metrics says so, and a clean close leaves an empty WAL.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator | null = null;

afterEach(async () => {
  await orch?.close();
  orch = null;
});

describe("orchestrator database checkpoints", () => {
  it("run on the checkpoint thread, and close leaves an empty WAL", async () => {
    orch = await startTestOrchestrator();
    await waitFor("the checkpoint thread up", async () => /^orchd_db_checkpoint_thread 1$/m.test(await (await orch!.api("/metrics")).text()));
    expect(orch.logs.filter((l) => l.includes("WAL checkpoints run on the main connection"))).toEqual([]);
    const wal = join(orch.dataDir, "orchestrator.db-wal");
    expect(statSync(wal).size).toBeGreaterThan(0);
    await orch.orchestrator.close();
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });
});

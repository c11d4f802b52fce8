import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { testModelPath } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";

// The engine circuit breaker's open period is measured on the monotonic clock. On the wall clock, a
// step back of the agent host's clock while the breaker was open (NTP, `date -s`) made the half-open
// trial refuse to start when its timer fired, and nothing scheduled another: the pool stayed
// circuit_open (serving nothing) until the agent was restarted. The agent runs with its Date.now()
// shifted by test-support/clock-skew-preload.mjs; the machine's clock is not touched.
let worker: StartedWorker;
const skewDir = mkdtempSync(join(tmpdir(), "llorch-circuit-clock-"));
const skewFile = join(skewDir, "clock-skew-ms");

beforeAll(async () => {
  const preload = fileURLToPath(new URL("../../test-support/clock-skew-preload.mjs", import.meta.url));
  worker = await startWorker({
    models: { [basename(testModelPath("tiny"))]: testModelPath("tiny") },
    // One crash opens the breaker for 1 s.
    config: { node_id: "circuit-clock", auto_pool_slots: 1, supervisor: { initial_backoff_ms: 50, max_backoff_ms: 100, jitter: 0, max_consecutive_failures: 1, circuit_open_ms: 1000 } },
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim(), LLORCH_TEST_CLOCK_SKEW_FILE: skewFile },
    timeoutMs: 30_000,
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop("SIGKILL");
  rmSync(skewDir, { recursive: true, force: true });
});

describe("engine circuit breaker and a wall-clock step", () => {
  it("a step back of 1 h while the breaker is open: the trial start still comes after circuit_open_ms", async () => {
    const headers = { authorization: `Bearer ${worker.token}` };
    const pools = ((await (await fetch(`${worker.url}/v2/pools`, { headers })).json()) as { pools: { pool_id: string }[] }).pools;
    const poolId = pools[0]?.pool_id as string;
    const diagnostics = async () => (await (await fetch(`${worker.url}/v2/pools/${poolId}/diagnostics`, { headers })).json()) as { engine_pid: number | null; circuit: string };
    const first = await waitFor(diagnostics, (d) => d.engine_pid !== null && d.circuit === "closed", 30_000);

    process.kill(first.engine_pid as number, "SIGKILL");
    await waitFor(diagnostics, (d) => d.circuit === "open", 10_000);
    writeFileSync(skewFile, String(-3_600_000));

    const back = await waitFor(diagnostics, (d) => d.engine_pid !== null && d.engine_pid !== first.engine_pid && d.circuit === "closed", 30_000);
    expect(back.engine_pid).not.toBe(first.engine_pid);
  }, 90_000);
});

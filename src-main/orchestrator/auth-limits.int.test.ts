// Unauthenticated floods cost bounded disk and never slow a valid client: failures are aggregated
// per client address and minute in the audit table, log lines are rate-limited, and past 100
// failures a minute an address gets 429 with Retry-After while valid credentials still pass.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

const REQUESTS = 20_000;
const CONCURRENCY = 48;
const SOURCE_ADDRESSES = 20;
const FLOOD_CLIENT = fileURLToPath(new URL("../../test-support/auth-flood.mjs", import.meta.url));

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size;
  }
  return total;
}

interface FloodResult {
  statuses: Record<string, number>;
  retryAfterSeen: boolean;
  ms: number;
}

let orch: TestOrchestrator;
let closed = false;
const dataDir = mkdtempSync(join(tmpdir(), "llorch-flood-"));
beforeAll(async () => {
  // The production auth-failure limits (the harness raises them for the other test files).
  orch = await startTestOrchestrator({ log_level: "info" }, dataDir, {});
});
afterAll(async () => {
  if (!closed) await orch.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a flood of unauthenticated requests", () => {
  it(`${REQUESTS} bad requests grow the data dir by < 1 MB and the log by < 64 KB; valid clients still pass`, async () => {
    const before = dirBytes(dataDir);
    const logBytesBefore = orch.logs.reduce((n, l) => n + l.length, 0);
    const { stdout } = await promisify(execFile)(process.execPath, [FLOOD_CLIENT, orch.url, String(REQUESTS), String(CONCURRENCY), String(SOURCE_ADDRESSES)], { maxBuffer: 1024 * 1024 });
    const flood = JSON.parse(stdout) as FloodResult;

    // An address that is being refused still serves a valid credential at once.
    const valid = await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(valid.status).toBe(200);

    expect(Object.keys(flood.statuses).sort()).toEqual(["401", "429"]);
    expect(flood.statuses["401"]).toBeLessThanOrEqual(SOURCE_ADDRESSES * 100 * 2);
    expect(flood.statuses["429"]).toBeGreaterThan(REQUESTS / 2);
    expect(flood.retryAfterSeen).toBe(true);

    const logBytes = orch.logs.reduce((n, l) => n + l.length, 0) - logBytesBefore;
    const auditRows = orch.orchestrator.auditTrail(100_000).filter((e) => e.action === "auth_failed");
    // Closing flushes the aggregated audit rows and checkpoints the WAL into the database file.
    await orch.orchestrator.close();
    closed = true;
    const growth = dirBytes(dataDir) - before;
    console.log(`flood: ${REQUESTS} requests in ${flood.ms} ms, statuses ${JSON.stringify(flood.statuses)}; data dir ${growth >= 0 ? "+" : ""}${growth} B, log +${logBytes} B, ${auditRows.length} auth_failed audit rows`);
    expect(growth).toBeLessThan(1024 * 1024);
    expect(logBytes).toBeLessThan(64 * 1024);
    // One row per address and minute (the flood may straddle a minute boundary or two).
    expect(auditRows.length).toBeLessThanOrEqual(SOURCE_ADDRESSES * 3);
  }, 180_000);
});

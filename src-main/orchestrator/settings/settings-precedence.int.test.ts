import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { SettingsSchema } from "../../../src-shared/dashboard/settings.js";
import { loadOrchestratorConfigWithPins } from "../config/load-config.js";
import { createOrchestrator, type Orchestrator } from "../create-orchestrator.js";

// Issue 14 item 6: ORCHD_ADMISSION_CAPACITY in the environment was silently overridden by a value
// stored earlier from the dashboard. Precedence is env > config file > dashboard setting.
const TOKEN = "settings-token-0123456789abcdef0123456789abcdef";
const dataDir = mkdtempSync(join(tmpdir(), "llorch-settings-"));
const configFile = join(dataDir, "orchestrator.json");
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function withOrchestrator<T>(env: Record<string, string>, file: string | undefined, use: (call: (path: string, init?: RequestInit) => Promise<Response>, logs: string[]) => Promise<T>): Promise<T> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter((l) => l.trim() !== ""));
      cb();
    },
  });
  const { config, pinned } = loadOrchestratorConfigWithPins({ env: { LLORCH_API_TOKEN: TOKEN, ...env }, ...(file !== undefined ? { file } : {}), overrides: { bind_addr: "127.0.0.1:0", data_dir: dataDir, pool_probe_interval_ms: 0 } });
  const orch: Orchestrator = createOrchestrator({ config, pinned, logDestination: sink });
  const url = await orch.listen();
  try {
    return await use((path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } }), logs);
  } finally {
    await orch.close();
  }
}

const settingsOf = async (res: Response) => SettingsSchema.parse(await res.json());

describe("settings precedence: env > config file > dashboard", () => {
  it("a value stored from the dashboard does not override ORCHD_ADMISSION_CAPACITY, and GET /v2/settings says the key is pinned", async () => {
    await withOrchestrator({}, undefined, async (call) => {
      expect((await call("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 5, admission_policy: "drop-lru" }) })).status).toBe(200);
    });
    await withOrchestrator({ ORCHD_ADMISSION_CAPACITY: "7" }, undefined, async (call, logs) => {
      const s = await settingsOf(await call("/v2/settings"));
      expect(s.admission_capacity).toBe(7);
      // Unpinned keys keep the dashboard's value.
      expect(s.admission_policy).toBe("drop-lru");
      expect(s.pinned).toEqual([{ key: "admission_capacity", source: "env ORCHD_ADMISSION_CAPACITY" }]);
      expect(logs.filter((l) => l.includes("overridden"))).toEqual([expect.stringContaining("admission_capacity")]);
      const refused = await call("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 9 }) });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("ORCHD_ADMISSION_CAPACITY") as unknown });
      expect((await settingsOf(await call("/v2/settings"))).admission_capacity).toBe(7);
      expect((await call("/v2/settings", { method: "PUT", body: JSON.stringify({ placement_strategy: "round-robin" }) })).status).toBe(200);
      // What GET gave, sent back with one key changed, is taken: the pinned key and the read-only facts as they are.
      const back = await call("/v2/settings", { method: "PUT", body: JSON.stringify({ ...(await settingsOf(await call("/v2/settings"))), session_token_budget: 1234 }) });
      expect(back.status).toBe(200);
      expect(await settingsOf(back)).toMatchObject({ session_token_budget: 1234, placement_strategy: "round-robin", admission_capacity: 7 });
      // Pins other than those in force (here: the one pin left out) are refused by name.
      const moved = await call("/v2/settings", { method: "PUT", body: JSON.stringify({ pinned: [] }) });
      expect(moved.status).toBe(400);
      expect(await moved.json()).toMatchObject({ code: "INVALID_PARAMS", details: { issues: [{ path: ["pinned"], message: "read-only: set when the orchestrator starts" }] } });
    });
  });

  it("a config file pins its keys over the dashboard, and the environment wins over the file", async () => {
    writeFileSync(configFile, JSON.stringify({ admission_capacity: 11, admission_policy: "reject" }));
    await withOrchestrator({ ORCHD_ADMISSION_CAPACITY: "13" }, configFile, async (call) => {
      const s = await settingsOf(await call("/v2/settings"));
      expect(s).toMatchObject({ admission_capacity: 13, admission_policy: "reject", placement_strategy: "round-robin" });
      expect(s.pinned).toEqual([
        { key: "admission_capacity", source: "env ORCHD_ADMISSION_CAPACITY" },
        { key: "admission_policy", source: `config file ${configFile}` },
      ]);
    });
    // Without pins the stored dashboard values apply again.
    await withOrchestrator({}, undefined, async (call) => {
      expect(await settingsOf(await call("/v2/settings"))).toMatchObject({ admission_capacity: 5, admission_policy: "drop-lru", pinned: [] });
    });
  });
});

// A node's free-text report fields are kept short: GET /v2/nodes and every dashboard frame repeat them.
// One `worker` key registering a node with a 900 KB version, or heartbeating a pool whose last_error is
// 900 KB, made each node list megabytes larger; the node keeps working either way (cut, not refused).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;
let key = "";
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  key = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "verbose worker", scopes: ["worker"] }) })).json()).key;
});
afterAll(async () => {
  await orch.close();
});

const BIG = "x".repeat(300_000);
const post = (path: string, body: unknown) => fetch(`${orch.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a node's report fields", () => {
  it("are cut to their limits: the node list stays small and the node keeps heartbeating", async () => {
    const register = await post("/v2/nodes/register", {
      node_id: "verbose",
      machine_id: "m",
      address: "http://127.0.0.1:9",
      pools: ["verbose-p0"],
      capabilities: { gpus: [{ device_id: 0, name: BIG, vram_total_bytes: 1 }], cpu_cores: 1 },
      version: BIG,
      models: [{ sha256: "a".repeat(64), name: BIG, file_name: "big.gguf", size_bytes: 1, has_chat_template: false }],
    });
    expect(register.status).toBe(200);
    const pool = { pool_id: "verbose-p0", ready: true, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 0, engine: BIG.slice(0, 1000), engine_version: BIG, device_mask: "cpu", models_available: [], last_error: BIG };
    expect((await post("/v2/nodes/verbose/heartbeat", { timestamp: new Date().toISOString(), pools: [pool] })).status).toBe(200);
    const list = await (await orch.api("/v2/nodes")).text();
    expect(list.length).toBeLessThan(20_000);
    const node = (JSON.parse(list) as { nodes: { node_id: string; version: string; pools: { last_error: string }[] }[] }).nodes.find((n) => n.node_id === "verbose");
    expect(node?.version.startsWith("xxxx")).toBe(true);
    expect(node?.pools[0]?.last_error.length).toBeLessThanOrEqual(4097);
  });

  // Each newly reported quarantined copy becomes a node event (a SQLite row kept among the newest 100,000,
  // a warn log line, a dashboard frame) whose message held the copy's file_name and reason whole: a
  // `worker` key sending 250 KB reasons under fresh at_ms every beat grew the database by up to
  // 1 MB a beat and logged megabyte lines (security adversary, 2026-11-30).
  it("cuts a quarantined copy's file name and reason before it becomes a node event and a log line", async () => {
    const huge = "r".repeat(250_000);
    const quarantined = [1, 2, 3].map((i) => ({ file_name: `${"f".repeat(10_000)}-${i}.gguf`, expected_sha256: null, found_sha256: null, reason: huge, moved_to: `/q/${"m".repeat(10_000)}`, at_ms: 1_000 + i }));
    const res = await post("/v2/nodes/verbose/heartbeat", { timestamp: new Date().toISOString(), pools: [], quarantined });
    expect(res.status).toBe(200);
    const detail = await (await orch.api("/v2/nodes/verbose")).text();
    const events = (JSON.parse(detail) as { events: { kind: string; message: string }[] }).events.filter((e) => e.kind === "model_quarantined");
    expect(events.length).toBe(3);
    for (const e of events) expect(e.message.length).toBeLessThan(3_000);
    expect(detail.length).toBeLessThan(40_000);
    const lines = orch.logs.filter((l) => l.includes("quarantined"));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l.length).toBeLessThan(5_000);
  });

  // The address is what the orchestrator calls, so it is refused past 2,048 characters rather than cut;
  // before, a 300 KB address was kept and repeated in every node list, frame and refusal message.
  it("refuses a registration whose address is longer than 2,048 characters, without echoing it", async () => {
    const res = await post("/v2/nodes/register", { node_id: "far", machine_id: "m", address: `http://127.0.0.1:9/${"a".repeat(300_000)}`, pools: [], capabilities: { gpus: [], cpu_cores: 1 } });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(2_000);
    const list = await (await orch.api("/v2/nodes")).text();
    expect(list.includes('"far"')).toBe(false);
  });
});

// The self-test on a real cluster: a real orchestrator and two real worker agents serving a generated
// GGUF model. A run reports all three sections with plausible numbers; only an admin may start one; a
// bad body is refused; a second run while one runs is 409; without consent no node is touched; with it
// only the named node hangs and comes back; a run canceled mid-way leaves no task and no node down;
// `llama-orch selftest` prints the table and exports JSON and Markdown.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { SelftestRunSchema, type SelftestRequestInput, type SelftestRun } from "../../src-shared/selftest/selftest.js";
import { TaskListResponseSchema } from "../../src-shared/tasks/task-status.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

let orch: TestOrchestrator;
const workers: WorkerProcess[] = [];

const start = (body: SelftestRequestInput | Record<string, unknown>, headers: Record<string, string> = {}) => orch.api("/v2/selftest", { method: "POST", body: JSON.stringify(body), headers });
const read = async (id: string): Promise<SelftestRun> => SelftestRunSchema.parse(await (await orch.api(`/v2/selftest/${id}`)).json());
const finished = (id: string, timeoutMs = 90_000) => waitFor(() => read(id), (r) => r.state !== "running", timeoutMs, 100);

async function nodeEventCount(nodeId: string): Promise<number> {
  return NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${nodeId}`)).json()).events.length;
}

async function activeTasks(): Promise<number> {
  const list = TaskListResponseSchema.parse(await (await orch.api("/v2/tasks?limit=1000")).json());
  return list.tasks.filter((t) => t.state === "queued" || t.state === "dispatching" || t.state === "running").length + list.queue_depth.batch + list.queue_depth.interactive;
}

async function statuses(): Promise<Record<string, string>> {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  return Object.fromEntries(nodes.map((n) => [n.node_id, `${n.status}/${n.eligibility}/${n.pools.every((p) => p.ready && !p.draining) ? "ready" : "not-ready"}`]));
}

const allUp = { "st-a": "Online/eligible/ready", "st-b": "Online/eligible/ready" };

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 10_000 });
  for (const nodeId of ["st-a", "st-b"]) {
    workers.push(await startWorkerProcess({ nodeId, models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2, startTimeoutMs: 60_000, env: { POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "1" } }));
  }
  await waitFor(statuses, (s) => JSON.stringify(s) === JSON.stringify(allUp), 60_000);
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  await orch?.close();
});

describe("self-test", () => {
  it("refuses non-admin keys (403) and bad bodies (400), names an unknown node (404)", async () => {
    const created = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "not admin", scopes: ["inference", "read"] }) })).json());
    const forbidden = await fetch(`${orch.url}/v2/selftest`, { method: "POST", headers: { authorization: `Bearer ${created.key}`, "content-type": "application/json" }, body: "{}" });
    expect(forbidden.status).toBe(403);
    expect(ErrorEnvelopeSchema.parse(await forbidden.json()).code).toBe("FORBIDDEN_SCOPE");
    expect((await fetch(`${orch.url}/v2/selftest`, { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(403);
    for (const bad of [{ samples: 1 }, { stopnode: "st-a" }, { sections: ["speed"] }, { hang_ms: 60_000 }]) {
      const res = await start(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(ErrorEnvelopeSchema.parse(await res.json()).code).toBe("INVALID_PARAMS");
    }
    // Consent given for a section the request leaves out is a contradiction, not silently ignored.
    expect((await start({ stop_node: "st-a", sections: ["overhead"] })).status).toBe(400);
    const unknown = await start({ stop_node: "nobody" });
    expect(unknown.status).toBe(404);
    expect(ErrorEnvelopeSchema.parse(await unknown.json()).code).toBe("NODE_NOT_FOUND");
    expect((await orch.api("/v2/selftest/st-none")).status).toBe(404);
    expect(await activeTasks()).toBe(0);
  });

  it("measures overhead and fairness without touching a node when no consent is given; a second run is 409", async () => {
    const before = { a: await nodeEventCount("st-a"), b: await nodeEventCount("st-b") };
    const res = await start({ samples: 8, fairness_tasks: 4 });
    expect(res.status).toBe(202);
    const run = SelftestRunSchema.parse(await res.json());
    expect(run.state).toBe("running");
    const second = await start({ sections: ["overhead"] });
    expect(second.status).toBe(409);
    expect(ErrorEnvelopeSchema.parse(await second.json()).message).toContain(run.id);
    // Sampled while it runs: no node leaves Online, none is drained.
    const seen = new Set<string>();
    let done: SelftestRun;
    for (;;) {
      seen.add(JSON.stringify(await statuses()));
      done = await read(run.id);
      if (done.state !== "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...seen]).toEqual([JSON.stringify(allUp)]);
    expect({ a: await nodeEventCount("st-a"), b: await nodeEventCount("st-b") }).toEqual(before);
    expect(done.state).toBe("completed");
    expect(done.done).toBe(done.total);
    const report = done.report;
    if (report === null) throw new Error("no report");
    console.log(`self-test report: ${JSON.stringify(report)}`);
    const { overhead, fairness, detection } = report;
    if (overhead.status !== "ok") throw new Error(`overhead: ${JSON.stringify(overhead)}`);
    expect(overhead.direct.count).toBe(8);
    expect(overhead.through.count).toBe(8);
    expect(overhead.errors).toBe(0);
    // Plausible: a real completion takes time both ways, and p99 is never below p50.
    for (const s of [overhead.direct, overhead.through]) {
      expect(s.p50_ms).toBeGreaterThan(0);
      expect(s.p99_ms).toBeGreaterThanOrEqual(s.p50_ms);
      expect(s.p99_ms).toBeLessThan(30_000);
    }
    expect(overhead.added_p50_ms).toBeCloseTo(overhead.through.p50_ms - overhead.direct.p50_ms, 1);
    if (fairness.status !== "ok") throw new Error(`fairness: ${JSON.stringify(fairness)}`);
    expect(fairness.blockers).toBe(2);
    expect(fairness.order).toHaveLength(8);
    expect(fairness.order.every((o) => o.state === "completed" && o.started !== null)).toBe(true);
    expect(fairness.priority_inversions).toBe(0);
    expect(fairness.fifo_inversions).toBe(0);
    expect(fairness.passed).toBe(true);
    expect(detection).toEqual({ status: "skipped", reason: expect.stringContaining("no consent") });
    expect(await activeTasks()).toBe(0);
    // The finished run is listed.
    const list = (await (await orch.api("/v2/selftest")).json()) as { runs: { id: string }[] };
    expect(list.runs[0]?.id).toBe(run.id);
  }, 120_000);

  it("with consent, times the detection of the named node's hang and its return; the other node is untouched", async () => {
    const otherBefore = await nodeEventCount("st-a");
    const res = await start({ sections: ["detection"], stop_node: "st-b", hang_ms: 4500 });
    expect(res.status).toBe(202);
    const run = await finished(SelftestRunSchema.parse(await res.json()).id, 60_000);
    expect(run.state).toBe("completed");
    const detection = run.report?.detection;
    if (detection?.status !== "ok") throw new Error(`detection: ${JSON.stringify(detection)}`);
    console.log(`self-test detection: ${JSON.stringify(detection)}`);
    expect(detection.node_id).toBe("st-b");
    expect(detection.marked).toBe("Suspect");
    // Detected while it hung (heartbeats stop; suspect after node_suspect_ms), back after it ended.
    expect(detection.unschedulable_after_ms).not.toBeNull();
    expect(detection.unschedulable_after_ms as number).toBeLessThan(4500);
    expect(detection.back_online_after_ms).not.toBeNull();
    expect(detection.back_online_after_ms as number).toBeGreaterThanOrEqual(0);
    expect(run.report?.overhead.status).toBe("skipped");
    expect(await statuses()).toEqual(allUp);
    expect(await nodeEventCount("st-a")).toBe(otherBefore);
  }, 90_000);

  it("a run canceled mid-way cancels its tasks and leaves no node down", async () => {
    // Sections run in their fixed order (overhead first), whatever order the request lists them in.
    const res = await start({ samples: 4, fairness_tasks: 20, sections: ["fairness", "overhead", "fairness"] });
    const started = SelftestRunSchema.parse(await res.json());
    expect(started.request.sections).toEqual(["overhead", "fairness"]);
    const id = started.id;
    await waitFor(() => read(id), (r) => r.phase === "fairness" && r.done >= 8 + 2, 60_000, 5);
    const canceled = SelftestRunSchema.parse(await (await orch.api(`/v2/selftest/${id}/cancel`, { method: "POST" })).json());
    expect(canceled.state).toBe("canceled");
    expect(canceled.report?.fairness.status).toBe("failed");
    expect(await activeTasks()).toBe(0);
    expect(await statuses()).toEqual(allUp);

    // Canceled while a node hangs: the cancel answers once the node is back.
    const hang = SelftestRunSchema.parse(await (await start({ sections: ["detection"], stop_node: "st-a", hang_ms: 3000 })).json());
    await waitFor(() => read(hang.id), (r) => r.phase === "detection", 10_000, 5);
    await new Promise((r) => setTimeout(r, 200));
    const stopped = SelftestRunSchema.parse(await (await orch.api(`/v2/selftest/${hang.id}/cancel`, { method: "POST" })).json());
    expect(stopped.state).toBe("canceled");
    expect(await statuses()).toEqual(allUp);
    // A new run may start at once.
    const next = await start({ sections: ["overhead"], samples: 4 });
    expect(next.status).toBe(202);
    expect((await finished(SelftestRunSchema.parse(await next.json()).id)).state).toBe("completed");
  }, 120_000);
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "llorch-selftest-cli-"));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "selftest", ...args, "--url", orch.url, "--data-dir", dir], { env: { PATH: process.env.PATH, HOME: dir, LLORCH_API_TOKEN: orch.token }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("llama-orch selftest", () => {
  it("prints the report as a table and exports it as JSON and Markdown", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "llorch-selftest-out-")), "report.json");
    const run = await cli(["--sections", "overhead,fairness", "--samples", "4", "--fairness-tasks", "2", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/router overhead\s+added p50 \/ p99\s+[+-]\d/);
    expect(run.stdout).toMatch(/queue fairness\s+verdict\s+pass/);
    expect(run.stdout).toContain("failure detection  skipped");
    const exported = SelftestRunSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(exported.report?.overhead.status).toBe("ok");
    expect(existsSync(out.replace(/\.json$/, ".md"))).toBe(true);
    expect(readFileSync(out.replace(/\.json$/, ".md"), "utf8")).toContain(`# llama-orch self-test ${exported.id}`);
    expect(await activeTasks()).toBe(0);
  }, 120_000);

  it("names what was refused and exits non-zero", async () => {
    const unknown = await cli(["--stop-node", "nobody"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("NODE_NOT_FOUND");
    const usage = await cli(["--samples", "many"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--samples takes a whole number");
    expect(await statuses()).toEqual(allUp);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import { virtualWindow } from "../components/use-virtual-rows.js";
import { modelExamples, workerInstallCommand, workerJoinCommand } from "./examples.js";
import { tableMinWidth } from "../components/table-min-width.js";
import { clip, CLIP_CHARS, formatAge, formatBytes, formatDuration } from "./format.js";
import { clusterModels, replication } from "./models.js";
import { predictedStartInMs } from "./predict.js";
import { parseHash } from "./router.js";

describe("virtualWindow", () => {
  it("renders only the rows in view plus overscan, for 1000 rows", () => {
    const w = virtualWindow(1000, 40, 4000, 400, 5);
    expect(w).toEqual({ start: 95, end: 116, padTop: 3800, totalHeight: 40_000 });
    expect(virtualWindow(1000, 40, 0, 400, 5).start).toBe(0);
    expect(virtualWindow(3, 40, 0, 400, 5)).toMatchObject({ start: 0, end: 3 });
  });
});

describe("formatting", () => {
  it("formats bytes, durations and ages with fixed precision", () => {
    expect(formatBytes(7 * 1024 * 1024)).toBe("7.0 MiB");
    expect(formatBytes(24 * 1024 ** 3)).toBe("24.0 GiB");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(185_000)).toBe("3 m 05 s");
    expect(formatAge(400)).toBe("0.4 s ago");
    expect(formatAge(42_000)).toBe("42 s ago");
  });
});

describe("hostile text", () => {
  it("clips long names by code point (an emoji is never split) and leaves short ones alone", () => {
    expect(clip("llama-3")).toBe("llama-3");
    const long = `🦙${"W".repeat(10_000)}`;
    expect(Array.from(clip(long))).toHaveLength(CLIP_CHARS);
    expect(clip(long).startsWith("🦙W")).toBe(true);
    expect(clip(long).endsWith("…")).toBe(true);
    // 4 emoji are 8 UTF-16 units: over the limit in units, within it in characters.
    expect(clip("🦙🔥🦙🔥", 4)).toBe("🦙🔥🦙🔥");
    expect(clip("🦙🔥🦙🔥🦙", 4)).toBe("🦙🔥🦙…");
  });

  it("a table's minimum width is its columns' minimum tracks, never their content", () => {
    // 32 px of row padding, 12 px between each of the 3 columns.
    expect(tableMinWidth(["80px", "minmax(150px, 1.2fr)", "minmax( 110px, 1fr)"])).toBe(32 + 24 + 80 + 150 + 110);
    expect(tableMinWidth(["1fr"])).toBe(32);
  });
});

describe("examples", () => {
  it("builds curl and SDK snippets against the orchestrator's /v1", () => {
    const ex = modelExamples("http://10.0.0.5:8080/", "llama-3");
    expect(ex.curl).toContain("curl -N http://10.0.0.5:8080/v1/chat/completions");
    expect(ex.curl).toContain('"model":"llama-3"');
    expect(ex.python).toContain('base_url="http://10.0.0.5:8080/v1"');
    expect(ex.javascript).toContain('baseURL: "http://10.0.0.5:8080/v1"');
  });

  it("the worker join command carries the URL and token; remote orchestrators get a reachable bind", () => {
    expect(workerJoinCommand("http://127.0.0.1:8080#llj_t")).toBe("llama-orch-worker start --join 'http://127.0.0.1:8080#llj_t' --models-dir ~/models");
    expect(workerJoinCommand("http://gpu-hub:8080#llj_t")).toContain("--bind 0.0.0.0:9200 --advertise-url http://$(hostname):9200");
    expect(workerJoinCommand("https://gpu-hub:8080#llj_t@sha256:ab")).toContain("--join 'https://gpu-hub:8080#llj_t@sha256:ab' --models-dir ~/models --bind 0.0.0.0:9200 --advertise-url https://$(hostname):9200");
  });

  it("the worker install command names the tarball npm pack writes for this version", () => {
    expect(workerInstallCommand("0.1.0")).toBe("npm install -g ./llama-orch-worker-0.1.0.tgz");
    expect(workerInstallCommand("")).toBe("npm install -g ./llama-orch-worker-<version>.tgz");
  });
});

describe("router", () => {
  it("parses hash routes", () => {
    expect(parseHash("#/nodes/node%2Da")).toEqual({ view: "nodes", param: "node-a" });
    expect(parseHash("")).toEqual({ view: "overview", param: null });
    expect(parseHash("#/nope")).toEqual({ view: "overview", param: null });
  });
});

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);
function node(id: string, status: NodeInfo["status"], shas: string[]): NodeInfo {
  return {
    node_id: id,
    machine_id: id,
    address: "http://x",
    pool_ids: [],
    capabilities: { gpus: [] },
    status,
    eligibility: "eligible",
    registered_at_ms: 0,
    last_heartbeat_ms: 0,
    last_heartbeat_age_ms: 0,
    version: null,
    pools: [],
    models: shas.map((sha) => ({ sha256: sha, name: sha === SHA_A ? "alpha" : "beta", file_name: `${sha.slice(0, 4)}.gguf`, size_bytes: 1, has_chat_template: true })),
    desired_pools: [],
  };
}

describe("availability matrix", () => {
  it("marks presence per node and flags single-node models", () => {
    const models = clusterModels([node("n1", "Online", [SHA_A, SHA_B]), node("n2", "Online", [SHA_A]), node("n3", "Offline", [SHA_B])]);
    const alpha = models.find((m) => m.entry.name === "alpha");
    const beta = models.find((m) => m.entry.name === "beta");
    expect(alpha?.presence).toEqual({ n1: "present", n2: "present" });
    expect(alpha && replication(alpha)).toBe("replicated");
    expect(beta?.presence).toEqual({ n1: "present", n3: "offline" });
    expect(beta && replication(beta)).toBe("single");
  });
});

describe("predicted start", () => {
  const base: TaskStatus = {
    task_id: "q",
    session_id: "s",
    state: "queued",
    workload: "completion",
    priority: "interactive",
    engine: "llamacpp",
    model_ref: "m",
    model_sha256: null,
    node_id: null,
    pool_id: null,
    queue_position: 0,
    timings: { enqueued_at_ms: 0, started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_wait_ms: null, first_token_ms: null, decode_ms: null },
    tokens_in: null,
    tokens_out: 0,
    max_tokens: 100,
    stop_reason: null,
    error: null,
    placement: null,
    attempts: 0,
  };
  it("uses the soonest finish among running tasks of the same model", () => {
    const running: TaskStatus = { ...base, task_id: "r", state: "running", tokens_out: 100, max_tokens: 1100, timings: { ...base.timings, first_token_at_ms: 0 } };
    // 100 tokens in 1 s → 100 tok/s; 1000 left → 10 s.
    expect(predictedStartInMs(base, [running, base], 1000)).toBeCloseTo(10_000);
    const second: TaskStatus = { ...base, task_id: "q2", queue_position: 1 };
    expect(predictedStartInMs(second, [running, base, second], 1000)).toBeNull();
    expect(predictedStartInMs({ ...base, state: "running" }, [running], 1000)).toBeNull();
  });
});

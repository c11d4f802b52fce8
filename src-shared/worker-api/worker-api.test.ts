import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { HandoffFileSchema } from "./handoff.js";
import { ModelReceiveResponseSchema, parseContentRange } from "./model-transfer.js";
import { DrainRequestSchema, WorkerReloadRequestSchema } from "./pool-commands.js";
import { PoolStatusSchema } from "./pool-status.js";
import { WorkerHealthResponseSchema } from "./worker-health.js";
import { WorkerInferRequestSchema } from "./worker-infer.js";

const HEX = "c".repeat(64);

describe("worker pool status", () => {
  // The migration plan's example (spec §2.3) plus the fields this rebuild adds.
  const status = {
    pool_id: "pool-1", live: true, ready: false, slots_total: 2, slots_free: 0, engine: "llamacpp",
    engine_version: "llamacpp-source:b4000-cuda", device_mask: "1", vram_free_bytes: 9500000000,
    draining: false, state: "loading", model: null, last_error: null, restarts: 0,
  };

  it("accepts a full status and rejects unknown states", () => {
    expect(PoolStatusSchema.parse(status)).toEqual(status);
    expect(PoolStatusSchema.safeParse({ ...status, model: { sha256: HEX, name: "tiny" }, state: "ready", ready: true }).success).toBe(true);
    expect(rejectedPaths(PoolStatusSchema, { ...status, state: "Ready" })).toEqual([["state"]]);
    expect(rejectedPaths(PoolStatusSchema, { ...status, model: { sha256: "x", name: "tiny" } })).toEqual([["model", "sha256"]]);
  });

  it("validates health", () => {
    expect(WorkerHealthResponseSchema.safeParse({ status: "ok", version: "0.1.0", node_id: "node-a" }).success).toBe(true);
    expect(rejectedPaths(WorkerHealthResponseSchema, { status: "degraded", version: "0.1.0", node_id: "node-a" })).toEqual([["status"]]);
  });
});

describe("WorkerInferRequest", () => {
  const base = { task_id: "11111111-1111-4111-8111-111111111111", max_tokens: 16 };

  it("accepts a prompt or chat messages with sampling options", () => {
    expect(WorkerInferRequestSchema.safeParse({ ...base, prompt: "Write a haiku about GPUs", seed: 123456789, temperature: 0 }).success).toBe(true);
    expect(WorkerInferRequestSchema.safeParse({ ...base, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }], stop: ["\n"] }).success).toBe(true);
  });

  it("requires exactly one of prompt and messages", () => {
    expect(rejectedPaths(WorkerInferRequestSchema, base)).toEqual([["prompt"]]);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", messages: [{ role: "user", content: "b" }] })).toEqual([["prompt"]]);
  });

  it("rejects bad fields at their path", () => {
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", max_tokens: 0 })).toEqual([["max_tokens"]]);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, messages: [{ role: "function", content: "x" }] })).toEqual([["messages", 0, "role"]]);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", top_p: 1.5 })).toEqual([["top_p"]]);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", seed: -1 })).toEqual([["seed"]]);
    // Cutting inputs is for embeddings only: never silently dropped from a prompt or a rerank.
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", truncate_inputs: true })).toEqual([["truncate_inputs"]]);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, inputs: ["a"], rank_query: "q", truncate_inputs: true })).toEqual([["truncate_inputs"]]);
    expect(WorkerInferRequestSchema.safeParse({ ...base, inputs: ["a"], truncate_inputs: true }).success).toBe(true);
    expect(rejectedPaths(WorkerInferRequestSchema, { ...base, prompt: "a", drop_old_turns: true })).toEqual([["drop_old_turns"]]);
    expect(WorkerInferRequestSchema.safeParse({ ...base, messages: [{ role: "user", content: "b" }], drop_old_turns: true }).success).toBe(true);
  });
});

describe("pool commands", () => {
  it("validates drain and reload bodies", () => {
    expect(DrainRequestSchema.safeParse({ deadline_ms: 5000 }).success).toBe(true);
    expect(rejectedPaths(DrainRequestSchema, {})).toEqual([["deadline_ms"]]);
    expect(WorkerReloadRequestSchema.safeParse({ model: `sha256:${HEX}` }).success).toBe(true);
    expect(WorkerReloadRequestSchema.safeParse({ model: HEX }).success).toBe(true);
    expect(rejectedPaths(WorkerReloadRequestSchema, { model: "file:/models/../../etc/shadow" })).toEqual([["model"]]);
  });
});

describe("model receive", () => {
  it("validates the response", () => {
    expect(ModelReceiveResponseSchema.safeParse({ sha256: HEX, bytes_received: 10, complete: false, verified: false }).success).toBe(true);
    expect(rejectedPaths(ModelReceiveResponseSchema, { sha256: HEX, bytes_received: 10, complete: "yes", verified: false })).toEqual([["complete"]]);
  });

  it("parses Content-Range and rejects inconsistent ranges", () => {
    expect(parseContentRange("bytes 0-99/1000")).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange("bytes 500-999/*")).toEqual({ start: 500, end: 999 });
    for (const bad of ["bytes 10-5/100", "bytes 0-100/100", "items 0-1/2", "bytes -1-5/10", "bytes 0-1", ""]) {
      expect(parseContentRange(bad), bad).toBeUndefined();
    }
  });
});

describe("handoff file", () => {
  // Spec §8.2, verbatim.
  const handoff = {
    engine: "llamacpp", engine_version: "llamacpp-source:b1234-cuda", provisioning_mode: "source", url: "http://127.0.0.1:8081",
    pool_id: "pool-0", replica_id: "r0", model: { id: "hf:org/repo/file.gguf", path: "/home/u/.cache/models/file.gguf" },
    flags: ["--model", "/home/u/.cache/models/file.gguf", "--host", "127.0.0.1", "--port", "8081", "--parallel", "1", "--no-cont-batching", "--no-webui", "--metrics"],
    device_mask: "GPU0", slots_total: 4, slots_free: 4, slots: 4, pid: 12345,
  };

  it("accepts the spec's payload, keeping writer-specific keys", () => {
    expect(HandoffFileSchema.parse(handoff)).toEqual(handoff);
  });

  it("requires the watcher's fields", () => {
    for (const key of ["pool_id", "replica_id", "engine", "engine_version", "url"] as const) {
      const { [key]: _drop, ...rest } = handoff;
      expect(rejectedPaths(HandoffFileSchema, rest), key).toEqual([[key]]);
    }
    expect(rejectedPaths(HandoffFileSchema, { ...handoff, pid: 0 })).toEqual([["pid"]]);
  });
});

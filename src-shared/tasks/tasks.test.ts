import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { AdmissionResponseV2Schema, taskStreamPaths } from "./admission.js";
import { PlacementExplanationSchema, PlacementOverridesSchema } from "./placement.js";
import { TaskRequestV2Schema } from "./task-request.js";
import { TaskListQuerySchema, TaskStatusSchema, isTerminalTaskState } from "./task-status.js";

// Spec §2.2, verbatim.
const SPEC_TASK = {
  task_id: "11111111-1111-4111-8111-111111111111",
  session_id: "22222222-2222-4222-8222-222222222222",
  workload: "completion",
  model_ref: "hf:TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_K_M.gguf",
  engine: "llamacpp",
  ctx: 8192,
  priority: "interactive",
  seed: 123456789,
  determinism: "strict",
  sampler_profile_version: "v1",
  prompt: "Write a haiku about GPUs",
  max_tokens: 64,
  deadline_ms: 30000,
  placement: { mode: "auto", allow_fallback: true },
};

const SPEC_ADMISSION = {
  task_id: "11111111-1111-4111-8111-111111111111",
  queue_position: 3,
  predicted_start_ms: 300,
  backoff_ms: 0,
  streams: {
    sse: "/v2/tasks/11111111-1111-4111-8111-111111111111/events",
    sse_verbose: "/v2/tasks/11111111-1111-4111-8111-111111111111/events?verbose=true",
  },
  preparation: { steps: [] },
};

describe("TaskRequestV2", () => {
  it("accepts the spec's example unchanged", () => {
    expect(TaskRequestV2Schema.parse(SPEC_TASK)).toEqual(SPEC_TASK);
  });

  it("accepts chat messages instead of a prompt and fills placement defaults", () => {
    const { prompt: _p, ...noPrompt } = SPEC_TASK;
    const parsed = TaskRequestV2Schema.parse({ ...noPrompt, model_ref: "tiny", messages: [{ role: "user", content: "Hi" }], placement: { mode: "prefer", prefer_pools: ["a-gpu0"] } });
    expect(parsed.placement).toEqual({ mode: "prefer", prefer_pools: ["a-gpu0"], allow_fallback: true });
  });

  it("requires each spec-required field", () => {
    for (const key of ["task_id", "session_id", "workload", "model_ref", "engine", "ctx", "priority", "max_tokens", "deadline_ms"] as const) {
      const { [key]: _drop, ...rest } = SPEC_TASK;
      expect(rejectedPaths(TaskRequestV2Schema, rest), key).toEqual([[key]]);
    }
  });

  it("refuses a key it does not know, at the top and in placement: a mistyped pin or sampler field is not dropped", () => {
    expect(rejectedPaths(TaskRequestV2Schema, { ...SPEC_TASK, placment: { mode: "pin", pin_pool_id: "gone" } })).toEqual([[]]);
    expect(TaskRequestV2Schema.safeParse({ ...SPEC_TASK, temprature: 0 }).error?.issues[0]?.message).toMatch(/temprature/);
    expect(rejectedPaths(TaskRequestV2Schema, { ...SPEC_TASK, placement: { mode: "pin", pin_pool_id: "a-gpu0", foo: 1 } })).toEqual([["placement"]]);
  });

  it("refuses two tools of one name (a call could not say which it means)", () => {
    const tool = (properties: Record<string, unknown>) => ({ name: "a", parameters: { type: "object", properties } });
    const { prompt: _prompt, ...noPrompt } = SPEC_TASK;
    const issues = TaskRequestV2Schema.safeParse({ ...noPrompt, messages: [{ role: "user", content: "Hi" }], tools: [tool({ x: { type: "integer" } }), tool({ y: { type: "boolean" } })] }).error?.issues;
    expect(issues?.map((i) => [i.path, i.message])).toEqual([[["tools", 1, "name"], "tool names must be unique: a is also the name of tools[0]"]]);
  });

  it("rejects malformed fields at their path", () => {
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ placement: { mode: "random" } }, ["placement", "mode"]],
      [{ placement: { mode: "pin" } }, ["placement", "pin_pool_id"]],
      [{ placement: { mode: "auto", avoid_pools: ["ok", "../x"] } }, ["placement", "avoid_pools", 1]],
      [{ placement: { mode: "auto", allow_fallback: "yes" } }, ["placement", "allow_fallback"]],
      [{ task_id: "not-a-uuid" }, ["task_id"]],
      [{ ctx: 32769 }, ["ctx"]],
      [{ ctx: -1 }, ["ctx"]],
      [{ max_tokens: 50001 }, ["max_tokens"]],
      [{ max_tokens: 1.5 }, ["max_tokens"]],
      [{ priority: "urgent" }, ["priority"]],
      [{ engine: "ollama" }, ["engine"]],
      [{ model_ref: "file:/models/../../etc/passwd" }, ["model_ref"]],
      [{ messages: [{ role: "user", content: "also" }] }, ["prompt"]],
      [{ temperature: 3 }, ["temperature"]],
    ];
    for (const [patch, path] of cases) {
      expect(rejectedPaths(TaskRequestV2Schema, { ...SPEC_TASK, ...patch }), JSON.stringify(patch)).toEqual([path]);
    }
  });

  it("lets non-positive deadlines through so the server answers DEADLINE_UNMET, not INVALID_PARAMS", () => {
    expect(TaskRequestV2Schema.safeParse({ ...SPEC_TASK, deadline_ms: 0 }).success).toBe(true);
  });

  it("does not require a prompt for embedding workloads", () => {
    const { prompt: _p, ...noPrompt } = SPEC_TASK;
    expect(TaskRequestV2Schema.safeParse({ ...noPrompt, workload: "embedding", inputs: ["a", "b"] }).success).toBe(true);
    expect(rejectedPaths(TaskRequestV2Schema, noPrompt)).toEqual([["prompt"]]);
  });

  it("takes a rerank task as query + documents, and those fields only there", () => {
    const { prompt: _p, ...noPrompt } = SPEC_TASK;
    const rerank = { ...noPrompt, workload: "rerank", query: "q", documents: ["a", "b"] };
    expect(TaskRequestV2Schema.safeParse(rerank).success).toBe(true);
    expect(rejectedPaths(TaskRequestV2Schema, { ...rerank, query: undefined })).toEqual([["query"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...rerank, query: "" })).toEqual([["query"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...rerank, documents: undefined })).toEqual([["documents"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...rerank, prompt: "x" })).toEqual([["prompt"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...rerank, inputs: ["x"] })).toEqual([["inputs"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...SPEC_TASK, query: "q" })).toEqual([["query"]]);
    expect(rejectedPaths(TaskRequestV2Schema, { ...noPrompt, workload: "embedding", inputs: ["a"], documents: ["d"] })).toEqual([["documents"]]);
  });
});

describe("placement", () => {
  it("accepts node pins and defaults mode to auto", () => {
    expect(PlacementOverridesSchema.parse({ mode: "pin", pin_node_id: "node-a" })).toEqual({ mode: "pin", pin_node_id: "node-a", allow_fallback: true });
    expect(PlacementOverridesSchema.parse({})).toEqual({ mode: "auto", allow_fallback: true });
  });

  it("validates an explanation with losing candidates", () => {
    const explanation = {
      decision: { node_id: "node-a", pool_id: "a-gpu0", strategy: "least-loaded", score: 3, pinned: false, fallback_used: false },
      candidates: [
        { node_id: "node-a", pool_id: "a-gpu0", eligible: true, reasons_rejected: [], score: 3 },
        { node_id: "node-b", pool_id: "b-gpu0", eligible: false, reasons_rejected: ["draining", "model_missing"] },
      ],
    };
    expect(PlacementExplanationSchema.safeParse(explanation).success).toBe(true);
    expect(PlacementExplanationSchema.safeParse({ decision: null, candidates: [] }).success).toBe(true);
    expect(rejectedPaths(PlacementExplanationSchema, { ...explanation, decision: { ...explanation.decision, strategy: "best" } })).toEqual([["decision", "strategy"]]);
  });
});

describe("AdmissionResponseV2", () => {
  it("accepts the spec's example, which taskStreamPaths reproduces", () => {
    expect(AdmissionResponseV2Schema.parse(SPEC_ADMISSION)).toEqual(SPEC_ADMISSION);
    expect(taskStreamPaths(SPEC_ADMISSION.task_id)).toEqual(SPEC_ADMISSION.streams);
  });

  it("requires the four spec fields and validates preparation steps", () => {
    expect(rejectedPaths(AdmissionResponseV2Schema, { task_id: "t", queue_position: 0, predicted_start_ms: 0 })).toEqual([["backoff_ms"]]);
    const badStep = { ...SPEC_ADMISSION, preparation: { steps: [{ id: "engine:llamacpp", kind: "compile", status: "pending" }] } };
    expect(rejectedPaths(AdmissionResponseV2Schema, badStep)).toEqual([["preparation", "steps", 0, "kind"]]);
  });
});

describe("TaskStatus", () => {
  const status = {
    task_id: SPEC_TASK.task_id, session_id: SPEC_TASK.session_id, state: "running", workload: "completion", priority: "interactive",
    engine: "llamacpp", model_ref: "tiny", model_sha256: "d".repeat(64), node_id: "node-a", pool_id: "a-gpu0", queue_position: null,
    timings: { enqueued_at_ms: 1, started_at_ms: 2, first_token_at_ms: 3, finished_at_ms: null, queue_wait_ms: 1, first_token_ms: 2, decode_ms: null },
    tokens_in: 5, tokens_out: 1, max_tokens: 64, stop_reason: null, error: null, placement: null, attempts: 1,
  };

  it("accepts a running task and a failed one", () => {
    expect(TaskStatusSchema.safeParse(status).success).toBe(true);
    expect(TaskStatusSchema.safeParse({ ...status, state: "failed", error: { code: "WORKER_RESET", message: "node lost" } }).success).toBe(true);
  });

  it("rejects unknown states and error codes", () => {
    expect(rejectedPaths(TaskStatusSchema, { ...status, state: "done" })).toEqual([["state"]]);
    expect(rejectedPaths(TaskStatusSchema, { ...status, error: { code: "Oops", message: "x" } })).toEqual([["error", "code"]]);
  });

  it("classifies terminal states and coerces the list query", () => {
    expect(["completed", "failed", "canceled"].every((s) => isTerminalTaskState(s as "completed"))).toBe(true);
    expect(isTerminalTaskState("running")).toBe(false);
    expect(TaskListQuerySchema.parse({ limit: "20" })).toEqual({ limit: 20 });
    expect(rejectedPaths(TaskListQuerySchema, { limit: "0" })).toEqual([["limit"]]);
  });
});

describe("placement overrides: each mode's own fields", () => {
  const base = { task_id: "00000000-0000-4000-8000-000000000001", session_id: "00000000-0000-4000-8000-000000000002", workload: "completion", model_ref: "tiny", engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hi", max_tokens: 4, deadline_ms: 1000 };
  const issues = (placement: unknown) => TaskRequestV2Schema.safeParse({ ...base, placement }).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
  it("refuses a field another mode reads (it was ignored: a pin_node_id without mode pin ran anywhere)", () => {
    expect(issues({ pin_node_id: "ghost" })).toEqual(['placement.pin_node_id: pin_node_id is used only with mode "pin" (mode is "auto"): add "mode": "pin"']);
    expect(issues({ mode: "prefer", prefer_pools: ["a"], pin_pool_id: "a" })).toEqual(['placement.pin_pool_id: pin_pool_id is used only with mode "pin" (mode is "prefer"): add "mode": "pin"']);
    expect(issues({ prefer_pools: ["a"] })).toEqual(['placement.prefer_pools: prefer_pools is used only with mode "prefer" (mode is "auto"): add "mode": "prefer"']);
    expect(issues({ mode: "prefer" })).toEqual(["placement.prefer_pools: mode prefer needs prefer_pools (the pools to try first)"]);
  });
  it("accepts each mode with its fields, and the shared avoid lists with any", () => {
    for (const placement of [{ mode: "pin", pin_node_id: "n1" }, { mode: "pin", pin_pool_id: "n1.p" }, { mode: "prefer", prefer_pools: ["a"], allow_fallback: false }, { avoid_nodes: ["n2"], avoid_pools: ["p"] }, { mode: "auto", prefer_pools: [] }]) {
      expect(issues(placement), JSON.stringify(placement)).toEqual([]);
    }
  });
});

describe("tools, tool_choice and format on a task: what the engine cannot all honour is refused by field", () => {
  const base = { task_id: "00000000-0000-4000-8000-000000000001", session_id: "00000000-0000-4000-8000-000000000002", workload: "completion", model_ref: "tiny", engine: "llamacpp", ctx: 512, priority: "interactive", max_tokens: 4, deadline_ms: 1000 };
  const chat = { ...base, messages: [{ role: "user", content: "Weather?" }] };
  const f = { name: "f", parameters: { type: "object", properties: {} } };
  const issues = (body: Record<string, unknown>) => TaskRequestV2Schema.safeParse(body).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
  it("refuses each combination a task dropped a part of", () => {
    expect(issues({ ...chat, tools: [f], format: { type: "json" } })).toEqual(['format: format cannot be combined with tools the model may call (send tool_choice "none", or no tools)']);
    expect(issues({ ...base, prompt: "x", tools: [f] })).toEqual(["tools: tools go with messages (a chat): a prompt completion makes no tool calls"]);
    expect(issues({ ...chat, tool_choice: "required" })).toEqual(["tool_choice: tool_choice required needs tools"]);
    expect(issues({ ...chat, tools: [f], tool_choice: { name: "g" } })).toEqual(["tool_choice: tool_choice names g, which is not among the tools"]);
    expect(issues({ ...chat, tool_choice: { name: "g" } })).toEqual(["tool_choice: tool_choice names g, but no tools were given"]);
    expect(issues({ ...chat, parallel_tool_calls: false })).toEqual(["parallel_tool_calls: parallel_tool_calls goes with tools"]);
  });
  it("accepts what is served", () => {
    for (const body of [{ ...chat, tools: [f] }, { ...chat, tools: [f], tool_choice: { name: "f" }, parallel_tool_calls: false }, { ...chat, tools: [f], tool_choice: "none", format: { type: "json" } }, { ...chat, format: { type: "json" } }, { ...base, prompt: "x", format: { type: "json" } }, { ...chat, tool_choice: "auto" }, { ...chat, tool_choice: "none" }]) {
      expect(issues(body), JSON.stringify(body)).toEqual([]);
    }
  });
});

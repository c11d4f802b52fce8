import { z } from "zod";
import { ModelRefStringSchema } from "../models/model-ref.js";
import { SAMPLING_FIELDS } from "../worker-api/sampling.js";
import { GENERATION_FIELDS, MAX_EMBEDDING_INPUTS, requireCoherentTools, requireOnePromptOrMessages, requireSuffixWithPrompt } from "./generation.js";
import { PlacementOverridesSchema } from "./placement.js";

export const WorkloadSchema = z.enum(["completion", "embedding", "rerank"]);
export const EngineSchema = z.enum(["llamacpp", "vllm", "tgi", "triton"]);
export const PrioritySchema = z.enum(["interactive", "batch"]);
export type Workload = z.infer<typeof WorkloadSchema>;
export type Engine = z.infer<typeof EngineSchema>;
export type Priority = z.infer<typeof PrioritySchema>;

/** Largest ctx anyone may request (spec: ctx > 32768 → INVALID_PARAMS). */
export const CTX_LIMIT = 32_768;

/**
 * POST /v2/tasks body (spec §2.2 TaskRequestV2). Chat tasks send `messages` instead of `prompt`;
 * a completion needs exactly one of them. A key the schema does not know is refused by name, here and
 * in `placement`, as the other /v2 bodies do: a mistyped `placment` or `temprature` would otherwise be
 * dropped and the task run without the pin or the setting the client asked for (output_mode's
 * unknown *values* are still ignored, as the spec has them).
 */
export const TaskRequestV2Schema = z
  .strictObject({
    task_id: z.uuid(),
    session_id: z.uuid(),
    workload: WorkloadSchema,
    model_ref: ModelRefStringSchema,
    engine: EngineSchema,
    ctx: z.int().min(1).max(CTX_LIMIT),
    priority: PrioritySchema,
    determinism: z.enum(["strict", "best_effort"]).optional(),
    sampler_profile_version: z.string().max(64).optional(),
    // The Generation fields (same schemas end to end), in the order the original spec lists them.
    prompt: GENERATION_FIELDS.prompt,
    suffix: GENERATION_FIELDS.suffix,
    messages: GENERATION_FIELDS.messages,
    inputs: GENERATION_FIELDS.inputs,
    /** workload rerank: the query the documents are scored against (with the model's ranking head). */
    query: GENERATION_FIELDS.rank_query,
    /** workload rerank: the texts to score; one `score` event per document (its index), then `end`. */
    documents: z.array(z.string()).min(1).max(MAX_EMBEDDING_INPUTS).optional(),
    max_tokens: GENERATION_FIELDS.max_tokens,
    // Positive: 0 or less is DEADLINE_UNMET, which the server reports with that code, so the schema allows it through.
    deadline_ms: z.int(),
    expected_tokens: z.int().min(0).optional(),
    kv_hint: z.enum(["reuse", "cold"]).optional(),
    placement: PlacementOverridesSchema.optional(),
    output_mode: z.string().optional(),
    ...SAMPLING_FIELDS,
    format: GENERATION_FIELDS.format,
    tools: GENERATION_FIELDS.tools,
    tool_choice: GENERATION_FIELDS.tool_choice,
    parallel_tool_calls: GENERATION_FIELDS.parallel_tool_calls,
    logprobs: GENERATION_FIELDS.logprobs,
  })
  .superRefine((req, ctx) => {
    if (req.workload !== "completion") requireSuffixWithPrompt(req, ctx);
    if (req.workload === "completion") {
      if (req.inputs !== undefined) ctx.addIssue({ code: "custom", path: ["inputs"], message: "inputs belong to workload embedding" });
      else requireOnePromptOrMessages(req, ctx, "a completion needs exactly one of prompt or messages");
      requireCoherentTools(req, ctx);
    }
    if (req.workload === "embedding" && (req.inputs === undefined || req.prompt !== undefined || req.messages !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["inputs"], message: "an embedding task needs inputs (and no prompt or messages)" });
    }
    // An empty text has no tokens to embed (its vector had length 0).
    if (req.workload === "embedding" && req.inputs !== undefined) {
      const empty = req.inputs.indexOf("");
      if (empty >= 0) ctx.addIssue({ code: "custom", path: ["inputs", empty], message: "an empty string: there is nothing to embed" });
    }
    if (req.workload === "rerank") {
      if (req.query === undefined) ctx.addIssue({ code: "custom", path: ["query"], message: "a rerank task needs a query" });
      if (req.documents === undefined) ctx.addIssue({ code: "custom", path: ["documents"], message: "a rerank task needs documents" });
      for (const key of ["prompt", "messages", "inputs"] as const) {
        if (req[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "a rerank task takes query and documents, not prompt, messages or inputs" });
      }
    } else {
      for (const key of ["query", "documents"] as const) {
        if (req[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "query and documents belong to workload rerank" });
      }
    }
  });
export type TaskRequestV2 = z.infer<typeof TaskRequestV2Schema>;
export type TaskRequestV2Input = z.input<typeof TaskRequestV2Schema>;

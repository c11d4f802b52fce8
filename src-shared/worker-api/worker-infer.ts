import { z } from "zod";
import { GENERATION_FIELDS, requireOnePromptOrMessages } from "../tasks/generation.js";

/**
 * POST /v2/pools/{id}/infer on a worker — the orchestrator's dispatch. The response is an SSE
 * stream of the same events a client sees (started, token, metrics, end | error).
 * The body is the task id plus the task's `Generation` (exactly one of `prompt` or `messages`).
 */
// Strict: a field this worker does not know (sent by a newer orchestrator) is a 400 naming it, which
// ends the task with that message, rather than a sampling option silently dropped.
export const WorkerInferRequestSchema = z
  .strictObject({
    task_id: z.string().min(1).max(128),
    ...GENERATION_FIELDS,
  })
  .superRefine((req, ctx) => {
    requireOnePromptOrMessages(req, ctx);
    if (req.truncate_inputs !== undefined && (req.inputs === undefined || req.rank_query !== undefined)) ctx.addIssue({ code: "custom", path: ["truncate_inputs"], message: "truncate_inputs goes with embedding inputs" });
    if (req.drop_old_turns !== undefined && req.messages === undefined) ctx.addIssue({ code: "custom", path: ["drop_old_turns"], message: "drop_old_turns goes with chat messages" });
  });
export type WorkerInferRequest = z.infer<typeof WorkerInferRequestSchema>;

import { z } from "zod";
import { ChatMessageSchema } from "./chat-message.js";
import { MAX_TOKENS_LIMIT, SAMPLING_FIELDS } from "./sampling.js";

/**
 * POST /v2/pools/{id}/infer on a worker — the orchestrator's dispatch. The response is an SSE
 * stream of the same events a client sees (started, token, metrics, end | error).
 * Exactly one of `prompt` (raw completion) or `messages` (chat, templated by the engine).
 */
export const WorkerInferRequestSchema = z
  .object({
    task_id: z.string().min(1).max(128),
    prompt: z.string().optional(),
    messages: z.array(ChatMessageSchema).min(1).optional(),
    max_tokens: z.int().min(1).max(MAX_TOKENS_LIMIT),
    ...SAMPLING_FIELDS,
  })
  .superRefine((req, ctx) => {
    const count = (req.prompt === undefined ? 0 : 1) + (req.messages === undefined ? 0 : 1);
    if (count !== 1) {
      ctx.addIssue({ code: "custom", path: ["prompt"], message: "exactly one of prompt or messages is required" });
    }
  });
export type WorkerInferRequest = z.infer<typeof WorkerInferRequestSchema>;

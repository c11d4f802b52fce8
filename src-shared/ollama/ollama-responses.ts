import { z } from "zod";

// What Ollama answers on /api/chat and /api/generate: NDJSON lines while streaming, the last one
// with done:true, timings (nanoseconds) and counts; without streaming that last object alone.

const TIMING_FIELDS = {
  total_duration: z.int().min(0).optional(),
  load_duration: z.int().min(0).optional(),
  prompt_eval_count: z.int().min(0).optional(),
  prompt_eval_duration: z.int().min(0).optional(),
  eval_count: z.int().min(0).optional(),
  eval_duration: z.int().min(0).optional(),
};

export const OllamaDoneReasonSchema = z.enum(["stop", "length", "load"]);

export const OllamaChatResponseSchema = z.object({
  model: z.string(),
  /** RFC 3339. */
  created_at: z.string(),
  message: z.object({
    role: z.literal("assistant"),
    content: z.string(),
    /** The calls the model made, each whole (streamed in one line before the done line). */
    tool_calls: z.array(z.object({ id: z.string(), function: z.object({ index: z.int().min(0), name: z.string(), arguments: z.record(z.string(), z.unknown()) }) })).optional(),
  }),
  done: z.boolean(),
  done_reason: OllamaDoneReasonSchema.optional(),
  ...TIMING_FIELDS,
});

export const OllamaGenerateResponseSchema = z.object({
  model: z.string(),
  created_at: z.string(),
  response: z.string(),
  done: z.boolean(),
  done_reason: OllamaDoneReasonSchema.optional(),
  ...TIMING_FIELDS,
});

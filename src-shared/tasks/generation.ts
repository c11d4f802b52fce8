import { z } from "zod";
import { ChatMessageSchema } from "../worker-api/chat-message.js";
import { MAX_TOKENS_LIMIT, SAMPLING_FIELDS } from "../worker-api/sampling.js";

/**
 * What to generate and how: the input (a raw `prompt` or chat `messages`), the output limit and the
 * sampling. One shape carried end to end — /v2/tasks body → the orchestrator's task → the worker's
 * infer request → the engine IPC message — with the same bounds at every hop.
 */
export const GENERATION_FIELDS = {
  prompt: z.string().optional(),
  messages: z.array(ChatMessageSchema).min(1).optional(),
  max_tokens: z.int().min(1).max(MAX_TOKENS_LIMIT),
  ...SAMPLING_FIELDS,
} as const;

const GENERATION_KEYS = Object.keys(GENERATION_FIELDS) as (keyof typeof GENERATION_FIELDS)[];

export const GenerationSchema = z.object(GENERATION_FIELDS);
export type Generation = z.infer<typeof GenerationSchema>;

/** A generation needs exactly one of prompt or messages; shared by every schema that embeds the fields. */
export function requireOnePromptOrMessages(value: { prompt?: unknown; messages?: unknown }, ctx: z.RefinementCtx, message = "exactly one of prompt or messages is required"): void {
  const count = (value.prompt === undefined ? 0 : 1) + (value.messages === undefined ? 0 : 1);
  if (count !== 1) ctx.addIssue({ code: "custom", path: ["prompt"], message });
}

/** The generation fields of a larger, already validated message (a task request, an infer request), and nothing else. */
export function pickGeneration(source: Generation): Generation {
  const out: Record<string, unknown> = {};
  for (const key of GENERATION_KEYS) if (source[key] !== undefined) out[key] = source[key];
  return out as Generation;
}

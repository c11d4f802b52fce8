import { z } from "zod";
import { PoolDeviceSchema } from "../../src-shared/config/worker-config.js";
import { ErrorCodeSchema } from "../../src-shared/errors/error-envelope.js";
import { NativeAddonInfoSchema } from "./native-addon/native-addon-info.js";
import { GpuBackendSchema } from "../../src-shared/nodes/gpu-capabilities.js";
import { SseEmbeddingDataSchema, SseScoreDataSchema, StopReasonSchema, ToolCallDeltaSchema, TokenLogprobsSchema } from "../../src-shared/streaming/sse-events.js";
import { GENERATION_FIELDS } from "../../src-shared/tasks/generation.js";

// The IPC protocol between the agent (parent) and an engine host (child, one per pool). Both sides
// validate what they receive: a child is running native code that may be in any state.

export const EngineLoadMessageSchema = z.object({
  type: z.literal("load"),
  model_path: z.string().min(1),
  /** Tokens per sequence; omitted → min(model's training context, 4096). */
  context_size: z.int().min(64).optional(),
  slots: z.int().min(1),
  threads: z.int().min(1),
  device: PoolDeviceSchema,
  memory_limit_bytes: z.int().min(0).optional(),
  /** Load llama.cpp from this native build (addon-choice.ts) instead of node-llama-cpp's prebuilt one. */
  native_addon: z.object({ dir: z.string().min(1), info: NativeAddonInfoSchema }).optional(),
  /**
   * The agent pins this engine to one CPU if it decodes with one thread (engine-cpu-pinning.ts): the
   * thread calibration then times its one-thread candidate on one CPU too, as it would serve.
   */
  pinned_if_one_thread: z.boolean().optional(),
});
export type EngineLoadMessage = z.infer<typeof EngineLoadMessageSchema>;

export const EngineInferMessageSchema = z.object({
  type: z.literal("infer"),
  task_id: z.string().min(1),
  ...GENERATION_FIELDS,
});
export type EngineInferMessage = z.infer<typeof EngineInferMessageSchema>;

export const ParentToEngineMessageSchema = z.discriminatedUnion("type", [
  EngineLoadMessageSchema,
  EngineInferMessageSchema,
  z.object({ type: z.literal("abort"), task_id: z.string().min(1) }),
  z.object({ type: z.literal("shutdown") }),
  /** Liveness probe (engine-watchdog.ts): the engine answers with a pong carrying the same n. */
  z.object({ type: z.literal("ping"), n: z.int().min(0) }),
]);
export type ParentToEngineMessage = z.infer<typeof ParentToEngineMessageSchema>;

export const EngineLoadedMessageSchema = z.object({
  type: z.literal("loaded"),
  engine_version: z.string(),
  backend: GpuBackendSchema,
  context_size: z.int().min(1),
  slots: z.int().min(1),
  vram_total_bytes: z.int().min(0),
  vram_free_bytes: z.int().min(0),
  /** Estimated bytes the model plus its context need (GGUF insights). */
  estimated_bytes: z.int().min(0),
  load_ms: z.int().min(0),
  /** llama.cpp threads the engine decodes with (may be fewer than asked for: thread-calibration.ts). */
  threads: z.int().min(1).optional(),
  /** The thread calibration's decode timings, ms/token per candidate thread count (absent: nothing measured). */
  thread_calibration_ms_per_token: z.record(z.string().regex(/^\d+$/), z.number().nonnegative()).optional(),
  /** Which llama.cpp build node-llama-cpp loaded (llama-server engines omit it). */
  addon: z.enum(["native", "prebuilt"]).optional(),
  /** The context's flash attention: llama.cpp's own choice (`auto`) or set by the engine (flash-attention.ts). */
  flash_attention: z.enum(["auto", "on", "off"]).optional(),
  /** Why a native build that was asked for was not loaded (the engine then runs the prebuilt). */
  addon_fallback: z.string().optional(),
});
export type EngineLoadedMessage = z.infer<typeof EngineLoadedMessageSchema>;

export const EngineDoneMessageSchema = z.object({
  type: z.literal("done"),
  task_id: z.string(),
  tokens_out: z.int().min(0),
  tokens_in: z.int().min(0),
  decode_ms: z.int().min(0),
  first_token_ms: z.int().min(0).optional(),
  stop_reason: StopReasonSchema,
  /** It stopped at the context's end: its budget was shortened to what the context left (fill_context). */
  context_full: z.boolean().optional(),
  /** With stop_reason stop: which of the task's stop strings matched. */
  stop_sequence: z.string().optional(),
});
export type EngineDoneMessage = z.infer<typeof EngineDoneMessageSchema>;

/** One generated text chunk (or tool-call fragment) of a task; `i` counts a task's token messages from 0. */
export const EngineTokenMessageSchema = z.object({
  type: z.literal("token"),
  task_id: z.string(),
  t: z.string(),
  i: z.int().min(0),
  logprobs: z.array(TokenLogprobsSchema).optional(),
  tool_call: ToolCallDeltaSchema.optional(),
});
export type EngineTokenMessage = z.infer<typeof EngineTokenMessageSchema>;

/**
 * The token messages of one event-loop turn (every sequence of a batch step), in emission order, as one
 * IPC write: the engine child sends these instead of single token messages (token-outbox.ts).
 */
export const EngineTokenBatchMessageSchema = z.object({ type: z.literal("tokens"), tokens: z.array(EngineTokenMessageSchema).min(1) });
export type EngineTokenBatchMessage = z.infer<typeof EngineTokenBatchMessageSchema>;

/**
 * The prompt's size, measured before the first token (the done message repeats it): streams that announce
 * it up front (Anthropic's message_start usage) have it before the output.
 */
export const EnginePromptMessageSchema = z.object({ type: z.literal("prompt"), task_id: z.string(), tokens_in: z.int().min(0) });

export const EngineToParentMessageSchema = z.discriminatedUnion("type", [
  EngineLoadedMessageSchema,
  z.object({ type: z.literal("load_failed"), code: ErrorCodeSchema, message: z.string() }),
  EngineTokenMessageSchema,
  SseEmbeddingDataSchema.extend({ type: z.literal("embedding"), task_id: z.string() }),
  SseScoreDataSchema.extend({ type: z.literal("score"), task_id: z.string() }),
  EngineDoneMessageSchema,
  EnginePromptMessageSchema,
  z.object({ type: z.literal("task_failed"), task_id: z.string(), code: ErrorCodeSchema, message: z.string() }),
  z.object({ type: z.literal("stats"), vram_total_bytes: z.int().min(0), vram_free_bytes: z.int().min(0) }),
  z.object({ type: z.literal("pong"), n: z.int().min(0) }),
]);
export type EngineToParentMessage = z.infer<typeof EngineToParentMessageSchema>;

/** What an engine child writes on its IPC channel: a message, or several token messages in one write. */
export type EngineWireMessage = EngineToParentMessage | EngineTokenBatchMessage;

import { EngineToParentMessageSchema, EngineTokenBatchMessageSchema, type EngineToParentMessage, type EngineTokenMessage } from "./engine-ipc.js";

export type EngineWireParse = { ok: true; messages: EngineToParentMessage[] } | { ok: false; message: string };

/**
 * Validates what an engine child wrote on its IPC channel and unpacks a "tokens" batch into its token
 * messages. The hot path, plain token messages ({type, task_id, t, i} and nothing else), is checked by
 * hand exactly as the schema would check it (as sse-codec.ts does for SSE token frames; a property test
 * holds the two together); anything richer (logprobs, tool calls, other messages) goes to zod.
 */
export function parseEngineWire(raw: unknown): EngineWireParse {
  if (isPlainTokenMessage(raw)) return { ok: true, messages: [raw] };
  if (isPlainTokenBatch(raw)) return { ok: true, messages: raw.tokens };
  if (typeof raw === "object" && raw !== null && (raw as { type?: unknown }).type === "tokens") {
    const batch = EngineTokenBatchMessageSchema.safeParse(raw);
    return batch.success ? { ok: true, messages: batch.data.tokens } : { ok: false, message: batch.error.message };
  }
  const parsed = EngineToParentMessageSchema.safeParse(raw);
  return parsed.success ? { ok: true, messages: [parsed.data] } : { ok: false, message: parsed.error.message };
}

/** `{type: "token", task_id: string, t: string, i: non-negative safe integer}` with no other key. */
export function isPlainTokenMessage(value: unknown): value is EngineTokenMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== "type" && key !== "task_id" && key !== "t" && key !== "i") return false;
    keys++;
  }
  const { type, task_id: taskId, t, i } = value as { type?: unknown; task_id?: unknown; t?: unknown; i?: unknown };
  return keys === 4 && type === "token" && typeof taskId === "string" && typeof t === "string" && typeof i === "number" && Number.isSafeInteger(i) && i >= 0;
}

/** `{type: "tokens", tokens: [plain token message, ...]}` (at least one) with no other key. */
function isPlainTokenBatch(value: unknown): value is { type: "tokens"; tokens: EngineTokenMessage[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== "type" && key !== "tokens") return false;
    keys++;
  }
  const { type, tokens } = value as { type?: unknown; tokens?: unknown };
  return keys === 2 && type === "tokens" && Array.isArray(tokens) && tokens.length > 0 && tokens.every(isPlainTokenMessage);
}

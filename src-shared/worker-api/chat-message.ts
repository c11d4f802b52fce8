import { z } from "zod";
import { ToolCallSchema } from "../tasks/tool-calling.js";

export const ChatRoleSchema = z.enum(["system", "user", "assistant", "tool"]);
export type ChatRole = z.infer<typeof ChatRoleSchema>;

/**
 * A plain-text chat turn, as engines consume it (OpenAI content parts are flattened before this).
 * An assistant turn may carry the tool calls it made; a tool turn is the result of one of them.
 */
export const ChatMessageSchema = z.object({
  role: ChatRoleSchema,
  content: z.string(),
  tool_calls: z.array(ToolCallSchema).min(1).optional(),
  /** On a tool turn: the id of the call it answers. */
  tool_call_id: z.string().min(1).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

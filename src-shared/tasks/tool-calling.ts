import { z } from "zod";

// Tool (function) calling as the engines take it: the surfaces map their own shapes onto these.

/** A function the model may call; `parameters` is already in the grammar subset (grammar-schema.ts). */
/**
 * Longest tool description taken. Agents' tools carry long ones (a shell tool documenting its rules runs
 * to ~10,000 characters); the old 4,096 was passed by every compatible surface and refused by the worker
 * naming no field. The prompt's fit in the context is what really bounds them (CONTEXT_TOO_LONG).
 */
export const MAX_TOOL_DESCRIPTION_CHARS = 65_536;

/** Most tools one request may offer (OpenAI's own limit). */
export const MAX_TOOLS = 128;

export const ToolDefinitionSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS).optional(),
  /** JSON schema of the arguments object; absent → the function takes no arguments. */
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

/** auto: the model decides; none: no call; required: at least one call; {name}: that function. */
export const ToolChoiceSchema = z.union([z.enum(["auto", "none", "required"]), z.object({ name: z.string().min(1) })]);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

/** A call the model made earlier in the conversation (assistant turns of a request). */
export const ToolCallSchema = z.object({
  id: z.string().min(1).max(256),
  name: z.string().min(1),
  /** The arguments as JSON text, as the model produced them. */
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** Structured output: any JSON value, or JSON that validates against a schema (in the grammar subset). */
export const OutputFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("json") }),
  z.object({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }),
]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

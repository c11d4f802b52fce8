import { z } from "zod";

/** Ollama's error body, on HTTP errors and as the last line of a stream that failed. */
export const OllamaErrorSchema = z.object({ error: z.string() });
export type OllamaError = z.infer<typeof OllamaErrorSchema>;

export function ollamaError(message: string): OllamaError {
  return { error: message };
}

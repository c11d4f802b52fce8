import { z } from "zod";
import type { SseFrame } from "../../src-shared/streaming/sse-codec.js";
import type { StopReason } from "../../src-shared/streaming/sse-events.js";

// Streaming chunks of an OpenAI-compatible server (llama-server, vLLM, …): text completions carry
// choices[].text, chat completions choices[].delta.content; the stream ends with `data: [DONE]`.
const OpenAiChunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        text: z.string().nullish(),
        delta: z.looseObject({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
});

export type OpenAiStreamItem = { kind: "text"; text: string } | { kind: "finish"; reason: StopReason } | { kind: "done" } | { kind: "invalid"; detail: string };

export function mapFinishReason(reason: string): StopReason {
  if (reason === "length") return "max_tokens";
  if (reason === "stop") return "stop";
  return "stop";
}

/** One SSE frame of the upstream's stream as stream items. */
export function openAiStreamItems(frame: SseFrame): OpenAiStreamItem[] {
  const data = frame.data.trim();
  if (data === "[DONE]") return [{ kind: "done" }];
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return [{ kind: "invalid", detail: `not JSON: ${data.slice(0, 100)}` }];
  }
  const chunk = OpenAiChunkSchema.safeParse(json);
  if (!chunk.success) return [{ kind: "invalid", detail: chunk.error.message }];
  const items: OpenAiStreamItem[] = [];
  for (const choice of chunk.data.choices) {
    const piece = choice.text ?? choice.delta?.content ?? "";
    if (piece !== "") items.push({ kind: "text", text: piece });
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) items.push({ kind: "finish", reason: mapFinishReason(choice.finish_reason) });
  }
  return items;
}

import { describe, expect, it } from "vitest";
import { openAiRequestBody } from "./external-pool.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import { openAiStreamItems, type OpenAiStreamItem } from "./openai-stream.js";

describe("OpenAI stream conversion", () => {
  it("decodes text and chat chunks split anywhere, finish reasons and [DONE]", async () => {
    const wire =
      'data: {"choices":[{"text":"Hel","finish_reason":null}]}\n\n' +
      'data: {"choices":[{"delta":{"role":"assistant","content":"lo"},"finish_reason":null}]}\n\n' +
      'data: {"choices":[{"delta":{},"finish_reason":"length"}]}\n\n' +
      "data: not json\n\n" +
      "data: [DONE]\n\n";
    const bytes = new TextEncoder().encode(wire);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const items: OpenAiStreamItem[] = [];
    for await (const frame of readSseFrames(body)) items.push(...openAiStreamItems(frame));
    expect(items.map((x) => x.kind)).toEqual(["text", "text", "finish", "invalid", "done"]);
    expect(items.slice(0, 3)).toEqual([{ kind: "text", text: "Hel" }, { kind: "text", text: "lo" }, { kind: "finish", reason: "max_tokens" }]);
  });

  it("builds the upstream body from an infer request", () => {
    expect(openAiRequestBody({ task_id: "t", prompt: "p", max_tokens: 3, seed: 1 }, "m")).toEqual({ model: "m", prompt: "p", max_tokens: 3, temperature: 0, seed: 1, stream: true });
    expect(openAiRequestBody({ task_id: "t", messages: [{ role: "user", content: "c" }], max_tokens: 3, temperature: 0.5 }, undefined)).toEqual({
      messages: [{ role: "user", content: "c" }],
      max_tokens: 3,
      temperature: 0.5,
      stream: true,
    });
  });
});

import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ChatCompletionRequestSchema } from "../../../../src-shared/openai/chat-completions.js";
import { CompletionRequestSchema } from "../../../../src-shared/openai/completions.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { chatAdmission, completionAdmission } from "./openai-mapping.js";

// OpenAI's API reads an explicit null as "not set"; LiteLLM and hand-written clients send them. Every
// optional parameter the schemas know must then map exactly as if it were absent (never a 400).
interface Surface {
  name: string;
  schema: z.ZodObject;
  base: Record<string, unknown>;
  admission: (body: never) => AdmissionInput;
}

const SURFACES: Surface[] = [
  { name: "chat", schema: ChatCompletionRequestSchema, base: { model: "m", messages: [{ role: "user", content: "hi" }] }, admission: chatAdmission },
  { name: "completions", schema: CompletionRequestSchema, base: { model: "m", prompt: "Once" }, admission: completionAdmission },
];

describe("explicit nulls in OpenAI requests", () => {
  for (const s of SURFACES) {
    it(`${s.name}: every optional parameter as null maps like the request without it`, () => {
      // Every optional key of the schema, so a new parameter cannot skip this test.
      const optional = Object.keys(s.schema.shape).filter((k) => !(k in s.base));
      expect(optional.length).toBeGreaterThan(8);
      const withNulls = { ...s.base, ...Object.fromEntries(optional.map((k) => [k, null])) };
      const parsed = s.schema.safeParse(withNulls);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(s.admission(parsed.data as never)).toEqual(s.admission(s.schema.parse(s.base) as never));
    });
  }
});

describe("llama.cpp's extensions on /v1", () => {
  it("cache_prompt true is accepted (slots reuse their cached prompt); false, which cannot be honoured, is refused by name", () => {
    const base = { model: "m", prompt: "Once" };
    expect(completionAdmission(CompletionRequestSchema.parse({ ...base, cache_prompt: true }))).toEqual(completionAdmission(CompletionRequestSchema.parse(base)));
    expect(() => completionAdmission(CompletionRequestSchema.parse({ ...base, cache_prompt: false }))).toThrow(/^cache_prompt is not supported/);
  });

  it("the samplers llama-server takes on /v1 reach the task", () => {
    const req = ChatCompletionRequestSchema.parse({ model: "m", messages: [{ role: "user", content: "hi" }], min_p: 0.1, repeat_penalty: 1.2, repeat_last_n: -1, frequency_penalty: -0.5, presence_penalty: 0.5, logit_bias: { "7": -100 } });
    expect(chatAdmission(req).generation).toMatchObject({ min_p: 0.1, repeat_penalty: 1.2, repeat_last_n: -1, frequency_penalty: -0.5, presence_penalty: 0.5, logit_bias: { "7": -100 } });
    expect(chatAdmission(ChatCompletionRequestSchema.parse({ model: "m", messages: [{ role: "user", content: "hi" }], logit_bias: {} })).generation).not.toHaveProperty("logit_bias");
  });
});

describe("stream_options", () => {
  for (const s of SURFACES) {
    it(`${s.name}: refused by name without stream: true (it would be ignored), as OpenAI refuses it; null or with stream accepted`, () => {
      const options = { stream_options: { include_usage: true } };
      for (const stream of [undefined, false, null]) {
        expect(() => s.admission(s.schema.parse({ ...s.base, ...options, stream }) as never)).toThrow("stream_options is only allowed when stream is true");
      }
      expect(() => s.admission(s.schema.parse({ ...s.base, ...options, stream: true }) as never)).not.toThrow();
      expect(() => s.admission(s.schema.parse({ ...s.base, stream_options: null, stream: false }) as never)).not.toThrow();
    });
  }
});

import { describe, expect, it } from "vitest";
import { openAiRefusalNamer } from "./openai-refusal-param.js";

describe("openAiRefusalNamer: admission's and the engine's refusals in the terms of the OpenAI request", () => {
  const chat = openAiRefusalNamer({ maxTokens: "max_completion_tokens", prompt: "messages", format: { param: "response_format", schema: "response_format.json_schema.schema" } });
  const responses = openAiRefusalNamer({ maxTokens: "max_output_tokens", prompt: "input", format: { param: "text.format", schema: "text.format.schema" } });
  const embeddings = openAiRefusalNamer({ prompt: "input" });

  it("an output limit beyond the context names the field sent, in the message too", () => {
    expect(chat("CONTEXT_TOO_LONG", "max_tokens 9000 exceeds the model's context length 4096")).toEqual({ param: "max_completion_tokens", message: "max_completion_tokens 9000 exceeds the model's context length 4096" });
    expect(responses("CONTEXT_TOO_LONG", "prompt of 5000 tokens plus max_tokens 8 is 5008 tokens, more than the 4096-token context of a slot")).toEqual({ param: "input", message: "prompt of 5000 tokens plus max_output_tokens 8 is 5008 tokens, more than the 4096-token context of a slot" });
    expect(embeddings("CONTEXT_TOO_LONG", "input 1 is 900 tokens, more than the 512-token embedding context")).toEqual({ param: "input", message: "input 1 is 900 tokens, more than the 512-token embedding context" });
  });

  it("the engine's refusals: schema grammar, tools, logit_bias, suffix, a model that cannot do the work", () => {
    expect(chat("INVALID_PARAMS", "format.schema: llama.cpp could not build the grammar")).toEqual({ param: "response_format", message: "response_format.json_schema.schema: llama.cpp could not build the grammar" });
    expect(responses("INVALID_PARAMS", "format.schema.properties.a uses pattern, which a grammar cannot express").param).toBe("text.format");
    expect(chat("INVALID_PARAMS", "tools: llama.cpp could not build the grammar").param).toBe("tools");
    expect(chat("INVALID_PARAMS", "logit_bias names token 999999, outside the model's vocabulary").param).toBe("logit_bias");
    expect(chat("INVALID_PARAMS", "model tiny.gguf has no fill-in-the-middle tokens, so a suffix cannot be served (use a code model)").param).toBe("suffix");
    expect(embeddings("INVALID_PARAMS", "model r (bert) serves rerank, not embedding: its pooling is rank").param).toBe("model");
    expect(chat("MODEL_NOT_FOUND", "no node reports a model \"x\"").param).toBe("model");
  });

  it("anything else keeps param null and its message", () => {
    expect(chat("INVALID_PARAMS", "something else")).toEqual({ param: null, message: "something else" });
    expect(chat("ADMISSION_REJECT", "queue full (100 tasks); retry later")).toEqual({ param: null, message: "queue full (100 tasks); retry later" });
  });
});

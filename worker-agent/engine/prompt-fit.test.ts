import { describe, expect, it } from "vitest";
import { outputBudget } from "./output-budget.js";

describe("outputBudget", () => {
  it("keeps max_tokens when prompt plus max_tokens fits the slot's context", () => {
    expect(outputBudget(100, { max_tokens: 256 }, 4096)).toEqual({ ok: true, maxTokens: 256 });
    expect(outputBudget(3840, { max_tokens: 256, fill_context: true }, 4096)).toEqual({ ok: true, maxTokens: 256 });
  });

  it("refuses an explicit max_tokens that does not fit, naming both sizes", () => {
    expect(outputBudget(4000, { max_tokens: 256 }, 4096)).toEqual({ ok: false, message: "prompt of 4000 tokens plus max_tokens 256 is 4256 tokens, more than the 4096-token context of a slot" });
  });

  it("with fill_context, generates what the context leaves after the prompt (Ollama's num_predict -1)", () => {
    expect(outputBudget(4000, { max_tokens: 4096, fill_context: true }, 4096)).toEqual({ ok: true, maxTokens: 96 });
    expect(outputBudget(4095, { max_tokens: 256, fill_context: true }, 4096)).toEqual({ ok: true, maxTokens: 1 });
  });

  it("with fill_context, still refuses a prompt that leaves no room", () => {
    expect(outputBudget(4096, { max_tokens: 256, fill_context: true }, 4096)).toEqual({ ok: false, message: "prompt of 4096 tokens leaves no room to generate in the 4096-token context of a slot" });
  });
});

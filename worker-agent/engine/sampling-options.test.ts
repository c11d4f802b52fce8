import { describe, expect, it } from "vitest";
import { logitBiasRefusal } from "./logit-bias-check.js";
import { repeatPenaltyOption } from "./sampling-options.js";

describe("repeatPenaltyOption", () => {
  it("is off unless a penalty is asked for, or when the window is 0", () => {
    expect(repeatPenaltyOption({}, 4096)).toBe(false);
    expect(repeatPenaltyOption({ repeat_penalty: 1, frequency_penalty: 0, presence_penalty: 0, repeat_last_n: 128 }, 4096)).toBe(false);
    expect(repeatPenaltyOption({ frequency_penalty: 1, repeat_last_n: 0 }, 4096)).toBe(false);
  });

  it("keeps the other penalties neutral and the window at 64 unless given; -1 is the whole context", () => {
    expect(repeatPenaltyOption({ frequency_penalty: -0.5 }, 4096)).toEqual({ lastTokens: 64, penalty: 1, frequencyPenalty: -0.5, presencePenalty: 0 });
    expect(repeatPenaltyOption({ repeat_penalty: 1.3, repeat_last_n: -1 }, 2048)).toEqual({ lastTokens: 2048, penalty: 1.3, frequencyPenalty: 0, presencePenalty: 0 });
    expect(repeatPenaltyOption({ presence_penalty: 2, repeat_last_n: 8 }, 2048)).toEqual({ lastTokens: 8, penalty: 1, frequencyPenalty: 0, presencePenalty: 2 });
    expect(repeatPenaltyOption({ presence_penalty: 2, repeat_last_n: 50_000 }, 2048)).toMatchObject({ lastTokens: 2048 });
  });
});

describe("logitBiasRefusal", () => {
  const vocabulary = { size: 500, isEndOfGeneration: (token: number) => token === 2 };

  it("accepts ids inside the vocabulary that do not end generation", () => {
    expect(logitBiasRefusal({ "0": -100, "499": 100, "7": 3.5 }, vocabulary)).toBeUndefined();
  });

  it("names the first id beyond the vocabulary, an end-of-generation id, or an unknown vocabulary", () => {
    expect(logitBiasRefusal({ "500": 1 }, vocabulary)).toBe("logit_bias names token 500, outside the model's vocabulary (token ids 0 to 499)");
    expect(logitBiasRefusal({ "2": -100 }, vocabulary)).toContain("an end-of-generation token");
    expect(logitBiasRefusal({ "1": 1 }, { size: undefined, isEndOfGeneration: () => false })).toContain("does not list its vocabulary");
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LogitBiasSchema, MAX_LOGIT_BIAS_TOKENS, MAX_TOKENS_LIMIT, SAMPLING_FIELDS } from "./sampling.js";

const Sampling = z.object(SAMPLING_FIELDS);
const bias = (entries: number) => Object.fromEntries(Array.from({ length: entries }, (_, i) => [String(i), -1]));

describe("sampling fields at their limits", () => {
  it("logit_bias: MAX_LOGIT_BIAS_TOKENS ids pass, one more is refused by name; values -100..100, keys decimal ids", () => {
    expect(LogitBiasSchema.safeParse(bias(MAX_LOGIT_BIAS_TOKENS)).success).toBe(true);
    const over = LogitBiasSchema.safeParse(bias(MAX_LOGIT_BIAS_TOKENS + 1));
    expect(over.success).toBe(false);
    expect(JSON.stringify(over.error?.issues)).toContain(`more than ${MAX_LOGIT_BIAS_TOKENS} tokens`);
    expect(LogitBiasSchema.safeParse({ "7": -100, "8": 100 }).success).toBe(true);
    for (const bad of [{ "7": -100.5 }, { "7": 101 }, { "07": 1 }, { "1e2": 1 }, { "-1": 1 }, { "7": "1" }]) expect(LogitBiasSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it("penalties and windows: the edges pass, just past them is refused", () => {
    const ok = [{ frequency_penalty: -2 }, { frequency_penalty: 2 }, { presence_penalty: -2 }, { presence_penalty: 2 }, { repeat_penalty: 10 }, { repeat_penalty: 0.01 }, { min_p: 0 }, { min_p: 1 }, { repeat_last_n: -1 }, { repeat_last_n: 0 }, { repeat_last_n: MAX_TOKENS_LIMIT }];
    const bad = [{ frequency_penalty: 2.01 }, { presence_penalty: -2.01 }, { repeat_penalty: 0 }, { repeat_penalty: 10.01 }, { min_p: 1.01 }, { min_p: -0.01 }, { repeat_last_n: -2 }, { repeat_last_n: MAX_TOKENS_LIMIT + 1 }, { repeat_last_n: 1.5 }, { frequency_penalty: Number.NaN }];
    for (const body of ok) expect(Sampling.safeParse(body).success, JSON.stringify(body)).toBe(true);
    for (const body of bad) expect(Sampling.safeParse(body).success, JSON.stringify(body)).toBe(false);
  });
});

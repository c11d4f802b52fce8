import { describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_FLUSH_MS, tokenFlushIntervalMs } from "./token-flush-interval.js";

function read(value: string | undefined): { ms: number; warnings: string[] } {
  const warnings: string[] = [];
  const ms = tokenFlushIntervalMs(value === undefined ? {} : { LLORCH_ENGINE_TOKEN_FLUSH_MS: value }, (message) => warnings.push(message));
  return { ms, warnings };
}

describe("tokenFlushIntervalMs", () => {
  it("is the default when unset or empty", () => {
    expect(read(undefined)).toEqual({ ms: DEFAULT_TOKEN_FLUSH_MS, warnings: [] });
    expect(read(" ")).toEqual({ ms: DEFAULT_TOKEN_FLUSH_MS, warnings: [] });
  });

  it("takes a number of milliseconds, 0 included (every batch step written at once)", () => {
    expect(read("0")).toEqual({ ms: 0, warnings: [] });
    expect(read("2.5")).toEqual({ ms: 2.5, warnings: [] });
  });

  it("reports a value it cannot use and keeps the default", () => {
    for (const bad of ["fast", "-1", "1000"]) {
      const { ms, warnings } = read(bad);
      expect(ms).toBe(DEFAULT_TOKEN_FLUSH_MS);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`LLORCH_ENGINE_TOKEN_FLUSH_MS=${bad}`);
    }
  });
});

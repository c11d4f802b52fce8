import { describe, expect, it } from "vitest";
import { OllamaKeepAliveSchema } from "./ollama-keep-alive.js";

describe("OllamaKeepAliveSchema", () => {
  it("takes seconds and Go durations, as Ollama and the clients that talk to it send them", () => {
    for (const value of [300, -1, 0, "5m", "1h30m", "-1s", "1.5h", "250ms", "0", "-1", "300", "+2m"]) expect(OllamaKeepAliveSchema.safeParse(value).success, String(value)).toBe(true);
  });

  it("refuses what Ollama's duration parser refuses, naming the forms it takes", () => {
    for (const value of ["bogus", "", "5 m", "5min", "m", "1d", "--1"]) {
      const parsed = OllamaKeepAliveSchema.safeParse(value);
      expect(parsed.success, value).toBe(false);
      expect(JSON.stringify(parsed.error?.issues), value).toContain("keep_alive must be seconds or a duration");
    }
  });
});

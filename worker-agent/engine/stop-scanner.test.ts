import { describe, expect, it } from "vitest";
import { StopScanner } from "./stop-scanner.js";

describe("StopScanner", () => {
  const run = (stops: string[], pieces: string[]) => {
    const scanner = new StopScanner(stops);
    let out = "";
    for (const piece of pieces) {
      const { release, stopped } = scanner.push(piece);
      out += release;
      if (stopped) return { out, stopped };
    }
    return { out: out + scanner.flush(), stopped: false };
  };

  it("ends before a stop string that arrives whole, split across pieces, or with a space in it", () => {
    expect(run([" of"], [" test", " of", " test"])).toEqual({ out: " test", stopped: true });
    expect(run(["\ndef "], ["x = 1", "\n", "def", " f"])).toEqual({ out: "x = 1", stopped: true });
    expect(run(["END"], ["aE", "N", "Dz"])).toEqual({ out: "a", stopped: true });
  });

  it("holds back only what could start a stop string and releases it when the output ends", () => {
    const scanner = new StopScanner(["abc"]);
    expect(scanner.push("xxab")).toEqual({ release: "xx", stopped: false });
    expect(scanner.push("x")).toEqual({ release: "abx", stopped: false });
    expect(scanner.push("a")).toEqual({ release: "", stopped: false });
    expect(scanner.flush()).toBe("a");
  });

  it("a stop string that repeats its own start (KMP fallback), a long one, characters outside the BMP", () => {
    expect(run(["aab"], ["aa", "a", "ab", "x"])).toEqual({ out: "aa", stopped: true });
    expect(run(["abab"], ["aba", "bab"])).toEqual({ out: "", stopped: true });
    expect(run(["🙂!"], ["a🙂", "🙂", "!b"])).toEqual({ out: "a🙂", stopped: true });
    // 100,000 characters of one letter against an output of that letter: linear, not quadratic.
    const long = "x".repeat(100_000);
    const scanner = new StopScanner([long]);
    for (let i = 0; i < 1_000; i++) expect(scanner.push("x".repeat(99)).stopped).toBe(false);
    expect(scanner.push("x".repeat(1_000))).toEqual({ release: "", stopped: true });
  });

  it("takes the earliest of several stop strings and releases nothing after the end", () => {
    const scanner = new StopScanner(["zz", "b"]);
    expect(scanner.push("a b zz")).toEqual({ release: "a ", stopped: true });
    expect(scanner.push("more")).toEqual({ release: "", stopped: true });
    expect(scanner.flush()).toBe("");
  });
});

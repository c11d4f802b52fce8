import { describe, expect, it } from "vitest";
import { repeatedHeader } from "./repeated-headers.js";

describe("repeatedHeader", () => {
  it("finds Authorization, X-Api-Key or Host sent twice, in any letter case", () => {
    expect(repeatedHeader(["Host", "a", "Authorization", "Bearer x", "authorization", "Bearer y"])).toBe("authorization");
    expect(repeatedHeader(["host", "127.0.0.1", "HOST", "evil.com"])).toBe("host");
    expect(repeatedHeader(["X-Api-Key", "k1", "x-api-key", "k2"])).toBe("x-api-key");
  });

  it("lets one of each through, and headers that may repeat", () => {
    expect(repeatedHeader(["Host", "a", "Authorization", "Bearer x", "X-Api-Key", "k", "Accept", "a", "Accept", "b", "Cookie", "a=1", "Cookie", "b=2"])).toBeUndefined();
    expect(repeatedHeader([])).toBeUndefined();
  });
});

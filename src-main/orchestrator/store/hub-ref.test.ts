import { describe, expect, it } from "vitest";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { resolveHubRef } from "./hub-ref.js";

const refusal = (ref: string): unknown => {
  try {
    resolveHubRef(ref, "https://hub.example");
  } catch (error) {
    return error instanceof OrchError ? { code: error.code, message: error.message } : error;
  }
  return undefined;
};

describe("resolveHubRef", () => {
  it("maps hf:// refs onto the hub's layout and keeps http(s) URLs", () => {
    expect(resolveHubRef("hf://o/r@v1/dir/m.gguf", "https://hub.example/").href).toBe("https://hub.example/o/r/resolve/v1/dir/m.gguf");
    expect(resolveHubRef("http://10.0.0.5:8000/m.gguf", "https://hub.example").href).toBe("http://10.0.0.5:8000/m.gguf");
  });

  it("refuses a URL carrying credentials at once (fetch refuses it on every attempt, and refs are logged and listed)", () => {
    for (const ref of ["http://user:pass@127.0.0.1:18393/u.gguf", "https://token@hub.example/m.gguf"]) expect(refusal(ref)).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/cannot carry credentials/) as unknown });
  });

  it("refuses what could never be pulled before anything is stored: a blocked port, an hf:// file that is not GGUF", () => {
    // Before: http://127.0.0.1:1/x.gguf was retried 20 times over ~80 s as "fetch failed: bad port".
    expect(refusal("http://127.0.0.1:1/x.gguf")).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/port 1 is on the Fetch standard's blocked list/) as unknown });
    expect(refusal("https://hub.example:6666/m.gguf")).toMatchObject({ code: "INVALID_PARAMS" });
    expect(resolveHubRef("http://127.0.0.1:8080/m.gguf", "https://hub.example").port).toBe("8080");
    expect(refusal("hf://o/r/model.bin")).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/name a \.gguf file/) as unknown });
    expect(resolveHubRef("hf://o/r/dir/Model-00001-of-00002.GGUF", "https://hub.example").pathname).toBe("/o/r/resolve/main/dir/Model-00001-of-00002.GGUF");
  });
});

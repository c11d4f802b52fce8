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
});

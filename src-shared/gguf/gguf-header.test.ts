import { describe, expect, it } from "vitest";
import { makeTinyGguf } from "../../scripts/gguf/tiny-llama-model.js";
import { readGgufHeader } from "./gguf-header.js";

describe("readGgufHeader", () => {
  const file = makeTinyGguf({ size: "tiny", seed: 3, name: "header-test", chatTemplate: "chatml" });

  it("reads name, architecture, context and chat template from a generated model", () => {
    const r = readGgufHeader(file);
    expect(r).toMatchObject({ ok: true, header: { version: 3, name: "header-test", architecture: "llama", hasChatTemplate: true } });
    if (r.ok) expect(r.header.contextLength).toBeGreaterThan(0);
  });

  it("asks for more bytes while the key/value section is cut short, and answers once it is whole", () => {
    expect(readGgufHeader(file.subarray(0, 3))).toEqual({ ok: false, needMore: true });
    expect(readGgufHeader(file.subarray(0, 200))).toEqual({ ok: false, needMore: true });
    const whole = readGgufHeader(file);
    if (!whole.ok) throw new Error("header unreadable");
    expect(readGgufHeader(file.subarray(0, whole.header.kvEndOffset)).ok).toBe(true);
  });

  it("refuses what is not GGUF at once", () => {
    expect(readGgufHeader(new TextEncoder().encode("<html>not a model</html>"))).toMatchObject({ ok: false, needMore: false });
    const badVersion = Uint8Array.from(file.subarray(0, 64));
    badVersion[4] = 9;
    expect(readGgufHeader(badVersion)).toMatchObject({ ok: false, needMore: false, error: "unsupported GGUF version 9" });
  });
});

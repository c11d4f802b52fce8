import { describe, expect, it } from "vitest";
import { makeTinyGguf } from "../../scripts/gguf/tiny-llama-model.js";
import { GGUF_HEADER_MAX_BYTES, readGgufHeader } from "./gguf-header.js";

describe("readGgufHeader", () => {
  const file = makeTinyGguf({ size: "tiny", seed: 3, name: "header-test", chatTemplate: "chatml" });

  it("reads name, architecture, context and chat template from a generated model", () => {
    const r = readGgufHeader(file);
    expect(r).toMatchObject({ ok: true, header: { version: 3, name: "header-test", architecture: "llama", hasChatTemplate: true } });
    if (r.ok) expect(r.header.contextLength).toBeGreaterThan(0);
  });

  it("asks for more bytes while the key/value section or the tensor infos are cut short, and answers once they are whole", () => {
    expect(readGgufHeader(file.subarray(0, 3))).toEqual({ ok: false, needMore: true, needBytes: 4 });
    expect(readGgufHeader(file.subarray(0, 200))).toMatchObject({ ok: false, needMore: true });
    const whole = readGgufHeader(file);
    if (!whole.ok) throw new Error("header unreadable");
    expect(readGgufHeader(file.subarray(0, whole.header.kvEndOffset))).toMatchObject({ ok: false, needMore: true });
    expect(readGgufHeader(file.subarray(0, whole.header.dataOffset)).ok).toBe(true);
  });

  it("tells how long the file must be for its tensors: the generated models' exact size", () => {
    for (const options of [{ size: "tiny", seed: 3 }, { size: "tiny", seed: 4, type: "f16" }, { size: "medium", seed: 1, ctx: 4096 }, { arch: "bert-reranker", size: "tiny", seed: 2 }] as const) {
      const bytes = makeTinyGguf(options);
      const r = readGgufHeader(bytes);
      if (!r.ok) throw new Error("header unreadable");
      expect(r.header.minFileBytes).toBe(bytes.byteLength);
      expect(r.header.dataOffset % 32).toBe(0);
    }
  });

  it("refuses a header that announces more than the header limit at once, not after the limit's worth of bytes", () => {
    const le = (n: number, width: 4 | 8) => {
      const view = new DataView(new ArrayBuffer(width));
      if (width === 8) view.setBigUint64(0, BigInt(n), true);
      else view.setUint32(0, n, true);
      return [...new Uint8Array(view.buffer)];
    };
    // GGUF v3, 1 tensor, 1 key whose name is announced as 65 MiB long: 32 bytes in all.
    const hostile = Uint8Array.from([0x47, 0x47, 0x55, 0x46, ...le(3, 4), ...le(1, 8), ...le(1, 8), ...le(GGUF_HEADER_MAX_BYTES + 1, 8)]);
    expect(readGgufHeader(hostile)).toMatchObject({ ok: false, needMore: false, error: "a string is longer than the header limit" });
    // An array of 2^40 u32 values: the header would span 4 TiB.
    const array = Uint8Array.from([0x47, 0x47, 0x55, 0x46, ...le(3, 4), ...le(1, 8), ...le(1, 8), ...le(1, 8), 0x6b, ...le(9, 4), ...le(4, 4), ...le(2 ** 40, 8)]);
    expect(readGgufHeader(array)).toMatchObject({ ok: false, needMore: false, error: `the GGUF header is larger than ${GGUF_HEADER_MAX_BYTES} bytes` });
    // A key longer than the spec's 65535 bytes.
    const key = Uint8Array.from([0x47, 0x47, 0x55, 0x46, ...le(3, 4), ...le(1, 8), ...le(1, 8), ...le(70_000, 8)]);
    expect(readGgufHeader(key)).toMatchObject({ ok: false, needMore: false, error: "a key is longer than 65535 bytes" });
  });

  it("decodes only the first 4096 bytes of a long string (a hostile name or template is skipped, not decoded byte by byte)", () => {
    const r = readGgufHeader(makeTinyGguf({ size: "tiny", seed: 3, name: "n".repeat(10_000) }));
    expect(r.ok && r.header.name).toBe("n".repeat(4096));
  });

  it("refuses what is not GGUF at once", () => {
    expect(readGgufHeader(new TextEncoder().encode("<html>not a model</html>"))).toMatchObject({ ok: false, needMore: false });
    const badVersion = Uint8Array.from(file.subarray(0, 64));
    badVersion[4] = 9;
    expect(readGgufHeader(badVersion)).toMatchObject({ ok: false, needMore: false, error: "unsupported GGUF version 9" });
  });
});

import { describe, expect, it } from "vitest";
import { makeTinyGguf } from "../../scripts/gguf/tiny-llama-model.js";
import { GgufHeadReader, type GgufHeadStep } from "./gguf-head-reader.js";

function le(n: number, width: 4 | 8): number[] {
  const view = new DataView(new ArrayBuffer(width));
  if (width === 8) view.setBigUint64(0, BigInt(n), true);
  else view.setUint32(0, n, true);
  return [...new Uint8Array(view.buffer)];
}

/** Pushes `bytes` in chunks of `size` until the reader answers; then `end()` if it never did. */
function feed(reader: GgufHeadReader, bytes: Uint8Array, size: number): { step: GgufHeadStep; pushed: number } {
  for (let at = 0; at < bytes.byteLength; at += size) {
    const step = reader.push(bytes.subarray(at, at + size));
    if (step.state !== "more") return { step, pushed: Math.min(bytes.byteLength, at + size) };
  }
  return { step: reader.end(), pushed: bytes.byteLength };
}

describe("GgufHeadReader", () => {
  const model = makeTinyGguf({ size: "tiny", seed: 7, name: "head-reader" });

  it("hands back every byte it held with the header, whatever the chunk size", () => {
    for (const size of [1000, 4096, 65536, model.byteLength]) {
      const { step, pushed } = feed(new GgufHeadReader(), model, size);
      if (step.state !== "read") throw new Error(`chunks of ${size}: ${JSON.stringify(step)}`);
      expect(step.header.name).toBe("head-reader");
      expect(step.head.byteLength).toBe(pushed);
      expect(Buffer.from(step.head).equals(Buffer.from(model.subarray(0, pushed)))).toBe(true);
    }
  });

  it("reads a file smaller than its next read size when the stream ends", () => {
    const reader = new GgufHeadReader();
    const whole = reader.push(model);
    expect(whole.state).toBe("read");
    expect(whole.state === "read" && whole.head.byteLength).toBe(model.byteLength);
    const cut = new GgufHeadReader();
    expect(cut.push(model.subarray(0, 100))).toEqual({ state: "more" });
    expect(cut.end()).toEqual({ state: "refused", error: "the data ends inside the header" });
  });

  it("reads a hostile head a few times, not at every chunk (it was quadratic: a 63 MB announced string kept a thread busy for a minute)", () => {
    // A string value (key "k", type 8) announced as 63 MiB long, then bytes arriving 16 KiB at a time.
    const announced = 63 * 1024 * 1024;
    const start = Uint8Array.from([0x47, 0x47, 0x55, 0x46, ...le(3, 4), ...le(1, 8), ...le(1, 8), ...le(1, 8), 0x6b, ...le(8, 4), ...le(announced, 8)]);
    const reader = new GgufHeadReader();
    expect(reader.push(start)).toEqual({ state: "more" });
    const chunk = new Uint8Array(16 * 1024).fill(0xff);
    let step: GgufHeadStep = { state: "more" };
    let chunks = 0;
    while (step.state === "more" && chunks < 5000) {
      step = reader.push(chunk);
      chunks += 1;
    }
    // The value is complete after 63 MiB; the tensor's name length that follows (all 0xff) is out of range.
    expect(step.state === "refused" && step.error).toBe("a 64-bit count is out of range");
    expect(chunks).toBeGreaterThan(4000);
    // Before: one read (and one copy of the whole head) per chunk, over 4000 of each.
    expect(reader.reads).toBeLessThanOrEqual(4);
  });
});

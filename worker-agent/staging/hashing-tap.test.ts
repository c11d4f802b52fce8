import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { BandwidthThrottle } from "./bandwidth-throttle.js";
import { HashingTap, TooManyBytesError } from "./hashing-tap.js";

function sink(): { stream: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, chunks };
}

describe("HashingTap", () => {
  it("hashes every chunk on its way, counts it and passes the same Buffer on (no copy)", async () => {
    const input = Array.from({ length: 20 }, (_, i) => randomBytes(1000 + i * 777));
    const hash = createHash("sha256");
    let counted = 0;
    const out = sink();
    await pipeline(Readable.from(input), new HashingTap(hash, 1 << 30, new BandwidthThrottle(null), new AbortController().signal, (n) => (counted += n)), out.stream);
    const whole = Buffer.concat(input);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(whole).digest("hex"));
    expect(counted).toBe(whole.length);
    expect(out.chunks).toHaveLength(input.length);
    out.chunks.forEach((c, i) => expect(c).toBe(input[i]));
  });

  it("a flipped byte gives another digest", async () => {
    const data = randomBytes(50_000);
    const flipped = Buffer.from(data);
    flipped[100] = (flipped[100] ?? 0) ^ 0xff;
    const digest = async (b: Buffer) => {
      const hash = createHash("sha256");
      await pipeline(Readable.from([b.subarray(0, 30_000), b.subarray(30_000)]), new HashingTap(hash, b.length, new BandwidthThrottle(null), new AbortController().signal, () => undefined), sink().stream);
      return hash.digest("hex");
    };
    expect(await digest(flipped)).not.toBe(await digest(data));
  });

  it("fails the pipeline when the source sends more than asked for, without passing the excess on", async () => {
    const out = sink();
    const run = pipeline(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), new HashingTap(createHash("sha256"), 1000, new BandwidthThrottle(null), new AbortController().signal, () => undefined), out.stream);
    await expect(run).rejects.toBeInstanceOf(TooManyBytesError);
    expect(out.chunks.reduce((n, c) => n + c.length, 0)).toBeLessThanOrEqual(600);
  });
});

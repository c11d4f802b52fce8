// GGUF files with hostile headers (counts and lengths that lie), for tests that prove every reader
// refuses them in bounded time and memory. Each file is a few KiB: the lies are in the numbers.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const str = (s: string): Buffer => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
const head = (tensors: bigint, kvs: bigint): Buffer => Buffer.concat([Buffer.from("GGUF"), u32(3), u64(tensors), u64(kvs)]);
const PAD = Buffer.alloc(4096);
const STRING = 8;
const ARRAY = 9;

/** name → bytes. */
export const HOSTILE_GGUFS: Readonly<Record<string, Buffer>> = {
  "huge-tensor-count.gguf": Buffer.concat([head(2n ** 62n, 0n), PAD]),
  "huge-kv-count.gguf": Buffer.concat([head(0n, 2n ** 62n), PAD]),
  "giant-key.gguf": Buffer.concat([head(0n, 1n), u64(2n ** 40n), PAD]),
  "overflowing-string.gguf": Buffer.concat([head(0n, 1n), str("general.name"), u32(STRING), u64(0xffff_ffff_ffff_ffffn), PAD]),
  "1.5-GB-string.gguf": Buffer.concat([head(0n, 1n), str("general.name"), u32(STRING), u64(1_500_000_000n), PAD]),
  "huge-array.gguf": Buffer.concat([head(0n, 1n), str("tokenizer.ggml.tokens"), u32(ARRAY), u32(STRING), u64(2n ** 60n), PAD]),
  "negative-dims.gguf": Buffer.concat([head(1n, 0n), str("t"), u32(2), u64(2n ** 64n - 1n), u64(2n ** 63n), u32(0), u64(0n), PAD]),
  "not-gguf.gguf": Buffer.from("<html>sign in</html>".repeat(100)),
  "empty.gguf": Buffer.alloc(0),
};

/** Writes every hostile file into `dir`; returns name → path. */
export async function writeHostileGgufs(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(HOSTILE_GGUFS)) {
    out[name] = join(dir, name);
    await writeFile(out[name], bytes);
  }
  return out;
}

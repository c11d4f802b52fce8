import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Streams the file (or its first `length` bytes) through SHA-256 (models are GBs; never read them whole). */
export async function fileSha256(path: string, length?: number): Promise<string> {
  const hash = createHash("sha256");
  const range = length === undefined ? {} : length === 0 ? { end: -1 } : { end: length - 1 };
  if (length !== 0) for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...range })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

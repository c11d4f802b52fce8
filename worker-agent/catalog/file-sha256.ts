import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Streams the file through SHA-256 (models are GBs; never read them whole). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

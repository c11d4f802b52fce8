import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { readGgufHeader, type GgufHeader } from "../../../src-shared/gguf/gguf-header.js";

export interface Ingested {
  sha256: string;
  size_bytes: number;
  header: GgufHeader;
}

/**
 * Streams GGUF bytes into `part` (or only hashes them): the head is held (bounded) until its header reads as GGUF, so
 * nothing is written for a file that is not a model; then every byte is hashed as it is written.
 * Memory stays at the header plus one chunk, whatever the file's size.
 */
export async function ingestGguf(source: AsyncIterable<Uint8Array>, part: string | null, onBytes?: (n: number) => void): Promise<Ingested> {
  const hash = createHash("sha256");
  let head: Uint8Array[] = [];
  let headBytes = 0;
  let header: GgufHeader | null = null;
  let size = 0;
  // part null: only check and hash (a model used in place is never copied).
  const file = part === null ? null : await open(part, "w").catch((error: unknown) => {
    throw new OrchError("INTERNAL", `cannot write in the model store: ${error instanceof Error ? error.message : String(error)}`);
  });
  const write = async (chunk: Uint8Array) => {
    hash.update(chunk);
    size += chunk.byteLength;
    await file?.write(chunk);
    onBytes?.(chunk.byteLength);
  };
  try {
    for await (const chunk of source) {
      if (header !== null) {
        await write(chunk);
        continue;
      }
      head.push(chunk);
      headBytes += chunk.byteLength;
      const joined = Buffer.concat(head, headBytes);
      const read = readGgufHeader(joined);
      if (!read.ok && !read.needMore) throw new OrchError("INVALID_PARAMS", `not a usable GGUF model: ${read.error}`);
      if (!read.ok) {
        head = [joined];
        continue;
      }
      header = read.header;
      head = [];
      await write(joined);
    }
    if (header === null) throw new OrchError("INVALID_PARAMS", "not a usable GGUF model: the data ends inside the header");
    return { sha256: hash.digest("hex"), size_bytes: size, header };
  } finally {
    await file?.close();
  }
}

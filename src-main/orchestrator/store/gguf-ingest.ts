import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { GgufHeadReader, type GgufHeadStep } from "../../../src-shared/gguf/gguf-head-reader.js";
import type { GgufHeader } from "../../../src-shared/gguf/gguf-header.js";

export interface Ingested {
  sha256: string;
  size_bytes: number;
  header: GgufHeader;
}

/** A file shorter than its header says is a truncated download or copy: never a model to store or stage. */
export function truncation(size: number, header: GgufHeader): string | null {
  return size < header.minFileBytes ? `truncated: ${size} bytes, its GGUF header describes at least ${header.minFileBytes}` : null;
}

/**
 * Streams GGUF bytes into `part` (or only hashes them): the head is held (bounded) until its header reads as GGUF, so
 * nothing is written for a file that is not a model; then every byte is hashed as it is written. A file shorter than
 * its tensors need is refused at the end (the worker would never serve it, yet it would name a model).
 * Memory stays at the header plus one chunk, whatever the file's size.
 */
export async function ingestGguf(source: AsyncIterable<Uint8Array>, part: string | null, onBytes?: (n: number) => void): Promise<Ingested> {
  const hash = createHash("sha256");
  const head = new GgufHeadReader();
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
  const take = async (step: GgufHeadStep) => {
    if (step.state === "refused") throw new OrchError("INVALID_PARAMS", `not a usable GGUF model: ${step.error}`);
    if (step.state === "read") {
      header = step.header;
      await write(step.head);
    }
  };
  try {
    for await (const chunk of source) {
      if (header !== null) await write(chunk);
      else await take(head.push(chunk));
    }
    if (header === null) await take(head.end());
    const read = header as GgufHeader | null;
    if (read === null) throw new OrchError("INVALID_PARAMS", "not a usable GGUF model: the data ends inside the header");
    const cut = truncation(size, read);
    if (cut !== null) throw new OrchError("INVALID_PARAMS", `not a usable GGUF model: ${cut}`);
    return { sha256: hash.digest("hex"), size_bytes: size, header: read };
  } finally {
    await file?.close();
  }
}

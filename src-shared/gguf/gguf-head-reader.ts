import { GGUF_HEADER_MAX_BYTES, readGgufHeader, type GgufHeader } from "./gguf-header.js";

export type GgufHeadStep = { state: "more" } | { state: "read"; header: GgufHeader; head: Uint8Array } | { state: "refused"; error: string };

/** The first head size worth a read: most small models' whole header, one read for them. */
const FIRST_READ_BYTES = 256 * 1024;

function joined(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Holds the head of a GGUF stream until its header reads (at most GGUF_HEADER_MAX_BYTES). The head is
 * joined and read again only when it has grown to what the last read said it needs and to twice its
 * size at that read: a few reads and copies per file, whatever the chunk size. Reading it at every
 * chunk was quadratic: a hostile upload whose header announced a 63 MB string kept one orchestrator
 * thread busy for over a minute (16 KiB chunks).
 */
export class GgufHeadReader {
  private chunks: Uint8Array[] = [];
  private held = 0;
  private nextRead = FIRST_READ_BYTES;
  /** Header reads so far (what the doubling bounds). */
  reads = 0;

  /** Adds the next chunk of the stream; `read` hands back every byte held so far, to hash and write. */
  push(chunk: Uint8Array): GgufHeadStep {
    this.chunks.push(chunk);
    this.held += chunk.byteLength;
    return this.held >= this.nextRead ? this.read() : { state: "more" };
  }

  /** The stream ended: reads what is held (a file smaller than the next read size). */
  end(): GgufHeadStep {
    const step = this.read();
    return step.state === "more" ? { state: "refused", error: "the data ends inside the header" } : step;
  }

  private read(): GgufHeadStep {
    const head = joined(this.chunks, this.held);
    this.chunks = [head];
    this.reads += 1;
    const r = readGgufHeader(head);
    if (r.ok) {
      this.chunks = [];
      this.held = 0;
      return { state: "read", header: r.header, head };
    }
    if (!r.needMore) return { state: "refused", error: r.error };
    this.nextRead = Math.min(GGUF_HEADER_MAX_BYTES, Math.max(r.needBytes, 2 * this.held));
    return { state: "more" };
  }
}

/**
 * A small, runtime-neutral GGUF header reader (magic, version, key/value section) for checking that
 * bytes are a GGUF model before anything is copied: imports read the head of a file or of an upload
 * stream and call this until it answers. It never needs the tensor data.
 * Format: "GGUF", u32 version (2|3), u64 tensor count, u64 kv count, then kv pairs (little endian).
 */
export interface GgufHeader {
  version: number;
  tensorCount: number;
  name: string | null;
  architecture: string | null;
  contextLength: number | null;
  fileType: number | null;
  hasChatTemplate: boolean;
  /** Bytes the header's key/value section spans from the start of the file. */
  kvEndOffset: number;
}

export type GgufHeaderResult = { ok: true; header: GgufHeader } | { ok: false; needMore: true } | { ok: false; needMore: false; error: string };

/** The longest head an import waits for before giving up (vocabularies of large models are several MB). */
export const GGUF_HEADER_MAX_BYTES = 64 * 1024 * 1024;

const MAX_KV = 1_000_000;
const MAX_TENSORS = 10_000_000;
// Value type ids of the GGUF spec → fixed width (strings and arrays are variable).
const WIDTH: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

class NeedMore extends Error {}

/** UTF-8 without TextDecoder (not in every runtime's type set): percent-decoding does it. */
function utf8(bytes: Uint8Array): string {
  let escaped = "";
  for (const b of bytes) escaped += `%${b.toString(16).padStart(2, "0")}`;
  try {
    return decodeURIComponent(escaped);
  } catch {
    return String.fromCharCode(...bytes.subarray(0, 4096));
  }
}

class Cursor {
  offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.offset + n > this.bytes.byteLength) throw new NeedMore();
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a 64-bit count is out of range");
    return Number(v);
  }
  string(): string {
    const n = this.u64();
    if (n > GGUF_HEADER_MAX_BYTES) throw new Error("a string is longer than the header limit");
    this.need(n);
    // Only keys and short values are decoded; long strings (templates) are kept but never shown.
    const s = utf8(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }
  scalar(type: number): number | boolean | string {
    const at = this.offset;
    const width = WIDTH[type];
    if (type === STRING) return this.string();
    if (width === undefined) throw new Error(`unknown value type ${type}`);
    this.skip(width);
    if (type === 7) return this.view.getUint8(at) !== 0;
    if (type === 4) return this.view.getUint32(at, true);
    if (type === 5) return this.view.getInt32(at, true);
    if (type === 10) return Number(this.view.getBigUint64(at, true));
    return 0;
  }
}

export function readGgufHeader(bytes: Uint8Array): GgufHeaderResult {
  if (bytes.byteLength < 4) return { ok: false, needMore: true };
  if (bytes[0] !== 0x47 || bytes[1] !== 0x47 || bytes[2] !== 0x55 || bytes[3] !== 0x46) return { ok: false, needMore: false, error: "not a GGUF file (the first bytes are not \"GGUF\")" };
  const c = new Cursor(bytes);
  c.offset = 4;
  try {
    const version = c.u32();
    if (version !== 2 && version !== 3) return { ok: false, needMore: false, error: `unsupported GGUF version ${version}` };
    const tensorCount = c.u64();
    const kvCount = c.u64();
    if (tensorCount > MAX_TENSORS || kvCount > MAX_KV) return { ok: false, needMore: false, error: "implausible tensor or key counts" };
    const header: GgufHeader = { version, tensorCount, name: null, architecture: null, contextLength: null, fileType: null, hasChatTemplate: false, kvEndOffset: 0 };
    const values = new Map<string, number | boolean | string>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string();
      const type = c.u32();
      if (type === ARRAY) {
        const itemType = c.u32();
        const count = c.u64();
        if (itemType === STRING) for (let j = 0; j < count; j++) c.skip(c.u64());
        else if (WIDTH[itemType] !== undefined) c.skip(count * (WIDTH[itemType] as number));
        else return { ok: false, needMore: false, error: `unknown array item type ${itemType} in ${key}` };
      } else {
        values.set(key, c.scalar(type));
      }
    }
    const str = (k: string) => (typeof values.get(k) === "string" ? (values.get(k) as string) : null);
    header.name = str("general.name");
    header.architecture = str("general.architecture");
    const ctx = header.architecture !== null ? values.get(`${header.architecture}.context_length`) : undefined;
    header.contextLength = typeof ctx === "number" && ctx > 0 ? ctx : null;
    const ft = values.get("general.file_type");
    header.fileType = typeof ft === "number" ? ft : null;
    header.hasChatTemplate = typeof values.get("tokenizer.chat_template") === "string";
    header.kvEndOffset = c.offset;
    if (tensorCount === 0) return { ok: false, needMore: false, error: "the GGUF file has no tensors" };
    return { ok: true, header };
  } catch (error) {
    if (error instanceof NeedMore) return bytes.byteLength >= GGUF_HEADER_MAX_BYTES ? { ok: false, needMore: false, error: `the GGUF header is larger than ${GGUF_HEADER_MAX_BYTES} bytes` } : { ok: false, needMore: true };
    return { ok: false, needMore: false, error: error instanceof Error ? error.message : String(error) };
  }
}

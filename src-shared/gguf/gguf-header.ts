/**
 * A small, runtime-neutral GGUF header reader (magic, version, key/value section, tensor infos) for
 * checking that bytes are a GGUF model before anything is copied: imports read the head of a file or
 * of an upload stream and call this until it answers. It never needs the tensor data, but it tells
 * how long the file must be to hold it (`minFileBytes`), so a truncated file can be refused.
 * Format: "GGUF", u32 version (2|3), u64 tensor count, u64 kv count, kv pairs, then per tensor
 * {name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset}, then the data section at the next
 * multiple of `general.alignment` (default 32), tensor offsets counted from it (little endian).
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
  /** Where the tensor data starts: the header (key/values and tensor infos) is this long. */
  dataOffset: number;
  /**
   * Bytes the file must have at least for every tensor its header lists: exact for unquantized
   * tensors, one byte per quantized one (a lower bound). A shorter file is truncated.
   */
  minFileBytes: number;
}

/** `needBytes`: the head must be at least this long before another read can get further. */
export type GgufHeaderResult = { ok: true; header: GgufHeader } | { ok: false; needMore: true; needBytes: number } | { ok: false; needMore: false; error: string };

/** The longest head an import waits for before giving up (vocabularies of large models are several MB). */
export const GGUF_HEADER_MAX_BYTES = 64 * 1024 * 1024;

const MAX_KV = 1_000_000;
const MAX_TENSORS = 10_000_000;
const MAX_DIMS = 8;
// GGUF keys are at most 65535 bytes (the spec); longer strings are values, decoded only this far.
const MAX_KEY_BYTES = 65_535;
const DECODED_BYTES = 4096;
const DEFAULT_ALIGNMENT = 32;
// Bytes per element of the unquantized ggml types (F32, F16, I8, I16, I32, I64, F64, BF16).
const ELEMENT_BYTES: Readonly<Partial<Record<number, number>>> = { 0: 4, 1: 2, 24: 1, 25: 2, 26: 4, 27: 8, 28: 8, 30: 2 };
// Value type ids of the GGUF spec → fixed width (strings and arrays are variable).
const WIDTH: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

class NeedMore extends Error {
  constructor(readonly needBytes: number) {
    super("need more bytes");
  }
}

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
    if (this.offset + n > this.bytes.byteLength) throw new NeedMore(this.offset + n);
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
  string(maxBytes = GGUF_HEADER_MAX_BYTES): string {
    const n = this.u64();
    if (n > GGUF_HEADER_MAX_BYTES) throw new Error("a string is longer than the header limit");
    if (n > maxBytes) throw new Error(`a key is longer than ${maxBytes} bytes`);
    this.need(n);
    // Only the first DECODED_BYTES are decoded (names, architectures; a template is only known to be a
    // string): decoding a hostile 60 MB string byte by byte took a thread for most of a minute.
    const s = utf8(this.bytes.subarray(this.offset, this.offset + Math.min(n, DECODED_BYTES)));
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
  if (bytes.byteLength < 4) return { ok: false, needMore: true, needBytes: 4 };
  if (bytes[0] !== 0x47 || bytes[1] !== 0x47 || bytes[2] !== 0x55 || bytes[3] !== 0x46) return { ok: false, needMore: false, error: "not a GGUF file (the first bytes are not \"GGUF\")" };
  const c = new Cursor(bytes);
  c.offset = 4;
  try {
    const version = c.u32();
    if (version !== 2 && version !== 3) return { ok: false, needMore: false, error: `unsupported GGUF version ${version}` };
    const tensorCount = c.u64();
    const kvCount = c.u64();
    if (tensorCount > MAX_TENSORS || kvCount > MAX_KV) return { ok: false, needMore: false, error: "implausible tensor or key counts" };
    const header: GgufHeader = { version, tensorCount, name: null, architecture: null, contextLength: null, fileType: null, hasChatTemplate: false, kvEndOffset: 0, dataOffset: 0, minFileBytes: 0 };
    const values = new Map<string, number | boolean | string>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string(MAX_KEY_BYTES);
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
    const alignment = values.get("general.alignment");
    const align = typeof alignment === "number" && alignment > 0 ? alignment : DEFAULT_ALIGNMENT;
    let dataEnd = 0;
    for (let i = 0; i < tensorCount; i++) {
      const name = c.string(MAX_KEY_BYTES);
      const dims = c.u32();
      if (dims > MAX_DIMS) return { ok: false, needMore: false, error: `tensor ${name} has ${dims} dimensions` };
      let elements = 1;
      for (let d = 0; d < dims; d++) elements *= c.u64();
      const type = c.u32();
      const offset = c.u64();
      dataEnd = Math.max(dataEnd, offset + Math.max(1, elements * (ELEMENT_BYTES[type] ?? 0)));
    }
    header.dataOffset = Math.ceil(c.offset / align) * align;
    header.minFileBytes = header.dataOffset + dataEnd;
    if (!Number.isSafeInteger(header.minFileBytes)) return { ok: false, needMore: false, error: "the tensors' sizes and offsets are out of range" };
    return { ok: true, header };
  } catch (error) {
    // A head that must grow past the limit is refused now, not after the limit's worth of bytes arrived.
    if (error instanceof NeedMore) return error.needBytes > GGUF_HEADER_MAX_BYTES ? { ok: false, needMore: false, error: `the GGUF header is larger than ${GGUF_HEADER_MAX_BYTES} bytes` } : { ok: false, needMore: true, needBytes: error.needBytes };
    return { ok: false, needMore: false, error: error instanceof Error ? error.message : String(error) };
  }
}

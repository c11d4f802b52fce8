/**
 * Binary GGUF v3 encoder (little endian). Pure: metadata + tensors in, bytes out.
 *
 * Layout: "GGUF", u32 version, u64 tensor_count, u64 kv_count, KVs, tensor infos,
 * zero padding to `alignment`, tensor data (each tensor offset a multiple of `alignment`).
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value type ids. */
export const GgufValueType = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** ggml tensor type ids used here. */
export const GgmlTensorType = { f32: 0, f16: 1 } as const;
export type GgmlTensorTypeName = keyof typeof GgmlTensorType;

export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

export interface GgufKv {
  key: string;
  value: GgufValue;
}

export interface GgufTensor {
  name: string;
  /** Dimensions, ne0 (the contiguous one) first. */
  dims: readonly number[];
  type: GgmlTensorTypeName;
  /** Raw little-endian element data; its length must match dims and type. */
  data: Uint8Array;
}

export interface GgufFile {
  kvs: readonly GgufKv[];
  tensors: readonly GgufTensor[];
  alignment?: number;
}

const BYTES_PER_ELEMENT: Record<GgmlTensorTypeName, number> = { f32: 4, f16: 2 };

const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

/** Growable little-endian byte sink. */
class ByteSink {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity: number) {
    this.buf = new Uint8Array(Math.max(64, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < needed) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`);
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const encoded = new TextEncoder().encode(s);
    this.u64(encoded.length);
    this.bytes(encoded);
  }
  padTo(alignment: number): void {
    const target = alignUp(this.length, alignment);
    this.reserve(target - this.length);
    this.buf.fill(0, this.length, target);
    this.length = target;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case "u32":
      sink.u32(GgufValueType.u32);
      sink.u32(value.value);
      return;
    case "i32":
      sink.u32(GgufValueType.i32);
      sink.i32(value.value);
      return;
    case "f32":
      sink.u32(GgufValueType.f32);
      sink.f32(value.value);
      return;
    case "bool":
      sink.u32(GgufValueType.bool);
      sink.u8(value.value ? 1 : 0);
      return;
    case "string":
      sink.u32(GgufValueType.string);
      sink.string(value.value);
      return;
    case "string[]":
      sink.u32(GgufValueType.array);
      sink.u32(GgufValueType.string);
      sink.u64(value.value.length);
      for (const s of value.value) sink.string(s);
      return;
    case "f32[]":
      sink.u32(GgufValueType.array);
      sink.u32(GgufValueType.f32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.f32(value.value[i] ?? 0);
      return;
    case "i32[]":
      sink.u32(GgufValueType.array);
      sink.u32(GgufValueType.i32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.i32(value.value[i] ?? 0);
      return;
  }
}

function expectedByteLength(tensor: GgufTensor): number {
  return tensor.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[tensor.type];
}

/** Encodes a complete GGUF v3 file. Deterministic: the same input always gives the same bytes. */
export function encodeGguf(file: GgufFile): Uint8Array {
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const dataSize = file.tensors.reduce((sum, t) => alignUp(sum, alignment) + t.data.length, 0);
  const sink = new ByteSink(alignUp(dataSize, alignment) + 64 * 1024);

  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(file.tensors.length);
  sink.u64(file.kvs.length);

  for (const kv of file.kvs) {
    sink.string(kv.key);
    writeValue(sink, kv.value);
  }

  let offset = 0;
  for (const tensor of file.tensors) {
    if (tensor.data.length !== expectedByteLength(tensor)) {
      throw new Error(
        `tensor ${tensor.name}: ${tensor.data.length} bytes of data, expected ${expectedByteLength(tensor)} for ${tensor.type} [${tensor.dims.join(", ")}]`,
      );
    }
    offset = alignUp(offset, alignment);
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const d of tensor.dims) sink.u64(d);
    sink.u32(GgmlTensorType[tensor.type]);
    sink.u64(offset);
    offset += tensor.data.length;
  }

  for (const tensor of file.tensors) {
    sink.padTo(alignment);
    sink.bytes(tensor.data);
  }
  return sink.result();
}

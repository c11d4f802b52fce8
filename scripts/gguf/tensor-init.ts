/** Weight initialisation shared by the generated architectures. */
import { f32ArrayToF16Bytes } from "./f16.js";
import type { GgmlTensorTypeName, GgufTensor } from "./gguf-writer.js";
import type { Prng } from "./prng.js";

/** Uniform random weights with variance 1/fanIn, fanIn = dims[0] (the input dimension). */
export function randomMatrix(rand: Prng, dims: readonly [number, number]): Float32Array {
  const [fanIn, rows] = dims;
  const a = Math.sqrt(3 / fanIn);
  const out = new Float32Array(fanIn * rows);
  for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * a;
  return out;
}

export function toTensor(name: string, dims: readonly number[], values: Float32Array, type: GgmlTensorTypeName): GgufTensor {
  const data = type === "f32" ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : f32ArrayToF16Bytes(values);
  return { name, dims, type, data };
}

import { z } from "zod";

// Models are identified by the sha256 of their GGUF file: 64 lowercase hex characters.
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;

export const Sha256HexSchema = z.string().regex(SHA256_HEX_PATTERN, "must be 64 lowercase hex characters");
export type Sha256Hex = z.infer<typeof Sha256HexSchema>;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX_PATTERN.test(value);
}

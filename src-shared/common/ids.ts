import { z } from "zod";

// Node and pool ids end up in URL paths, file names and Prometheus labels, so they are restricted
// to a conservative alphabet: start alphanumeric, then [A-Za-z0-9._-], at most 128 characters.
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const SafeIdSchema = z.string().regex(SAFE_ID_PATTERN, "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

export const NodeIdSchema = SafeIdSchema;
export const PoolIdSchema = SafeIdSchema;

/** Byte counts: JSON numbers, exact up to 2^53 (8 PiB), enough for any VRAM or file size. */
export const ByteCountSchema = z.int().min(0);

/** Milliseconds since the Unix epoch. */
export const EpochMsSchema = z.int().min(0);

export function isSafeId(value: string): boolean {
  return SAFE_ID_PATTERN.test(value);
}

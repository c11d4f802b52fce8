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

const UUID_ANY_CASE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * A UUID in its canonical lowercase form (RFC 9562 compares UUIDs without regard to case), any other id
 * unchanged: task and session ids are compared this way, so one UUID in two cases is one task, not two.
 */
export function canonicalUuid(id: string): string {
  return UUID_ANY_CASE.test(id) ? id.toLowerCase() : id;
}

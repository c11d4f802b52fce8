import { createHash, timingSafeEqual } from "node:crypto";

const MAX_HEADER_BYTES = 8192;

/** Token from `Authorization: Bearer <token>` (spec §9.2), or null when absent or malformed. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined || header.length > MAX_HEADER_BYTES) return null;
  const trimmed = header.trim();
  if (!trimmed.startsWith("Bearer ")) return null;
  const token = trimmed.slice("Bearer ".length).trim();
   
  if (token === "" || /[\x00-\x1f\x7f]/.test(token)) return null;
  return token;
}

/** SHA-256 of a token. Comparing digests gives fixed-length inputs to timingSafeEqual (no length branch). */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

/** First 6 hex chars of SHA-256(token): what logs and the audit table carry instead of the token. */
export function fp6(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 6);
}

import { createHash, timingSafeEqual } from "node:crypto";

export { parseBearer } from "../../../src-shared/auth/parse-bearer.js";

/** SHA-256 of a token. Comparing digests gives fixed-length inputs to timingSafeEqual (no length branch). */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

const MAX_HASHED_BYTES = 8192;

/** First 6 hex chars of SHA-256(token) (spec §9.4, long tokens truncated): what logs and the audit table carry. */
export function fp6(token: string): string {
  let bytes = Buffer.from(token, "utf8");
  if (bytes.length > MAX_HASHED_BYTES) bytes = Buffer.concat([bytes.subarray(0, MAX_HASHED_BYTES), Buffer.from("[truncated]")]);
  return createHash("sha256").update(bytes).digest("hex").slice(0, 6);
}

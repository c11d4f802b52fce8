import { createHash } from "node:crypto";

const MAX_HASHED_BYTES = 8192;

/** First 6 hex chars of SHA-256(token) (spec §9.4): what logs show instead of a token. */
export function tokenFingerprint(token: string): string {
  let bytes = Buffer.from(token, "utf8");
  if (bytes.length > MAX_HASHED_BYTES) bytes = Buffer.concat([bytes.subarray(0, MAX_HASHED_BYTES), Buffer.from("[truncated]")]);
  return createHash("sha256").update(bytes).digest("hex").slice(0, 6);
}

import { createHash, timingSafeEqual } from "node:crypto";

const MAX_HEADER_BYTES = 8192;

/** `Authorization: Bearer <token>` → the token, or undefined when absent or malformed (spec §9.2). */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_HEADER_BYTES) return undefined;
  const trimmed = header.trim();
  if (!trimmed.startsWith("Bearer ")) return undefined;
  const token = trimmed.slice("Bearer ".length).trim();
  if (token === "" || /[\x00-\x1f\x7f]/.test(token)) return undefined;
  return token;
}

/**
 * Holds the expected token as a SHA-256 digest and compares digests with timingSafeEqual: equal
 * lengths always, so there is no length branch that leaks anything about the secret.
 */
export class TokenVerifier {
  private readonly expectedDigest: Buffer;

  constructor(expectedToken: string) {
    this.expectedDigest = createHash("sha256").update(expectedToken, "utf8").digest();
  }

  matches(presented: string): boolean {
    const digest = createHash("sha256").update(presented, "utf8").digest();
    return timingSafeEqual(digest, this.expectedDigest);
  }
}

import { createHash, timingSafeEqual } from "node:crypto";

export { parseBearer } from "../../src-shared/auth/parse-bearer.js";

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

import { createHmac } from "node:crypto";
import { GRANT_KEY_LABEL, GRANT_TTL_MS, type StagingGrantPayload } from "../../../src-shared/staging/staging-grant.js";

/**
 * Issues a staging grant (src-shared/staging/staging-grant.ts): signed with a key derived from the
 * SOURCE worker's token, which that worker verifies. The target carries it and learns no token.
 */
export function signStagingGrant(sourceWorkerToken: string, grant: Omit<StagingGrantPayload, "v" | "exp_ms">, now: number, ttlMs: number = GRANT_TTL_MS): string {
  const payload: StagingGrantPayload = { v: 1, ...grant, exp_ms: now + ttlMs };
  const key = createHmac("sha256", sourceWorkerToken).update(GRANT_KEY_LABEL).digest();
  const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  const signature = createHmac("sha256", key).update(body).digest("base64url");
  return `${body}.${signature}`;
}

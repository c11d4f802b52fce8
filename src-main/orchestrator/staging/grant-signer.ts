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

// A grant is checked on every range request of a pull, so it must outlive the transfer: the base
// TTL plus the transfer time at the cap (or at this floor rate when uncapped).
const FLOOR_RATE_BYTES_PER_S = 10 * 1024 * 1024;

export function grantTtlFor(sizeBytes: number, bandwidthLimit: number | null): number {
  return GRANT_TTL_MS + Math.ceil((sizeBytes / (bandwidthLimit ?? FLOOR_RATE_BYTES_PER_S)) * 1000);
}

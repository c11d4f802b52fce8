import { createHmac, timingSafeEqual } from "node:crypto";
import { GRANT_KEY_LABEL, GRANT_TTL_MS, StagingGrantPayloadSchema, type StagingGrantPayload } from "../../../src-shared/staging/staging-grant.js";

/**
 * Issues a staging grant (src-shared/staging/staging-grant.ts): signed with a key derived from the
 * SOURCE worker's token, which that worker verifies. The target carries it and learns no token.
 */
export function signStagingGrant(sourceWorkerToken: string, grant: Omit<StagingGrantPayload, "v" | "exp_ms">, now: number, ttlMs: number = GRANT_TTL_MS): string {
  const payload: StagingGrantPayload = { v: 1, ...grant, exp_ms: now + ttlMs };
  const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return `${body}.${grantSignature(sourceWorkerToken, body).toString("base64url")}`;
}

function grantSignature(token: string, body: string): Buffer {
  const key = createHmac("sha256", token).update(GRANT_KEY_LABEL).digest();
  return createHmac("sha256", key).update(body).digest();
}

/** Checks a grant the orchestrator issued for its own store as the source (GET /v2/models/{sha256}/content). */
export function grantAllows(token: string, grant: string, sha256: string, sourceId: string, now: number): boolean {
  const [body, signature, extra] = grant.split(".");
  if (body === undefined || signature === undefined || extra !== undefined) return false;
  const presented = Buffer.from(signature, "base64url");
  const expected = grantSignature(token, body);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return false;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return false;
  }
  const payload = StagingGrantPayloadSchema.safeParse(decoded);
  return payload.success && payload.data.sha256 === sha256 && payload.data.source_node_id === sourceId && payload.data.exp_ms > now;
}

// A grant is checked on every range request of a pull, so it must outlive the transfer: the base
// TTL plus the transfer time at the cap (or at this floor rate when uncapped).
const FLOOR_RATE_BYTES_PER_S = 10 * 1024 * 1024;

export function grantTtlFor(sizeBytes: number, bandwidthLimit: number | null): number {
  return GRANT_TTL_MS + Math.ceil((sizeBytes / (bandwidthLimit ?? FLOOR_RATE_BYTES_PER_S)) * 1000);
}

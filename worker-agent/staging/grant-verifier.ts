import { createHmac, timingSafeEqual } from "node:crypto";
import { GRANT_KEY_LABEL, StagingGrantPayloadSchema, type StagingGrantPayload } from "../../src-shared/staging/staging-grant.js";

export type GrantCheck = { ok: true; grant: StagingGrantPayload } | { ok: false; reason: string };

/**
 * Verifies staging grants presented by peer workers pulling a model from this node. The key is
 * derived from this worker's own token, which only the orchestrator shares, so a valid grant means
 * "the orchestrator let that target read this one model from this node until exp_ms".
 */
export class GrantVerifier {
  private readonly key: Buffer;

  constructor(
    workerToken: string,
    private readonly nodeId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHmac("sha256", workerToken).update(GRANT_KEY_LABEL).digest();
  }

  verify(grant: string, sha256: string): GrantCheck {
    const [payloadPart, signaturePart, extra] = grant.split(".");
    if (payloadPart === undefined || signaturePart === undefined || extra !== undefined) return { ok: false, reason: "malformed grant" };
    const expected = createHmac("sha256", this.key).update(payloadPart).digest();
    const presented = Buffer.from(signaturePart, "base64url");
    // Both sides are fixed-length digests; a wrong length is simply a bad signature.
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: "bad grant signature" };
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
    } catch {
      return { ok: false, reason: "malformed grant payload" };
    }
    const parsed = StagingGrantPayloadSchema.safeParse(decoded);
    if (!parsed.success) return { ok: false, reason: "malformed grant payload" };
    const payload = parsed.data;
    if (payload.sha256 !== sha256) return { ok: false, reason: "grant is for another model" };
    if (payload.source_node_id !== this.nodeId) return { ok: false, reason: "grant is for another source node" };
    if (payload.exp_ms <= this.now()) return { ok: false, reason: "grant expired" };
    return { ok: true, grant: payload };
  }
}

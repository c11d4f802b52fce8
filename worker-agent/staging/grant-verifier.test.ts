import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GRANT_KEY_LABEL, type StagingGrantPayload } from "../../src-shared/staging/staging-grant.js";
import { GrantVerifier } from "./grant-verifier.js";

const TOKEN = "worker-token-0123456789abcdef0123456789abcdef";
const SHA = "a".repeat(64);
const NOW = 1_000_000;

// Signs the way the orchestrator does (src-shared/staging/staging-grant.ts describes the format).
function sign(token: string, payload: StagingGrantPayload): string {
  const key = createHmac("sha256", token).update(GRANT_KEY_LABEL).digest();
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

const payload = (over: Partial<StagingGrantPayload> = {}): StagingGrantPayload => ({ v: 1, sha256: SHA, source_node_id: "src", target_node_id: "dst", job_id: "j1", exp_ms: NOW + 60_000, ...over });
const verifier = new GrantVerifier(TOKEN, "src", () => NOW);

describe("GrantVerifier", () => {
  it("accepts a grant for this model and this source node", () => {
    const check = verifier.verify(sign(TOKEN, payload()), SHA);
    expect(check).toEqual({ ok: true, grant: payload() });
  });

  it("refuses a grant for another model, another source node, or an expired one", () => {
    expect(verifier.verify(sign(TOKEN, payload()), "b".repeat(64))).toEqual({ ok: false, reason: "grant is for another model" });
    expect(verifier.verify(sign(TOKEN, payload({ source_node_id: "other" })), SHA)).toEqual({ ok: false, reason: "grant is for another source node" });
    expect(verifier.verify(sign(TOKEN, payload({ exp_ms: NOW })), SHA)).toEqual({ ok: false, reason: "grant expired" });
  });

  it("refuses a grant signed with another key, a tampered payload and garbage", () => {
    expect(verifier.verify(sign("another-token-0123456789abcdef0123456789ab", payload()), SHA)).toMatchObject({ ok: false, reason: "bad grant signature" });
    const [, signature] = sign(TOKEN, payload()).split(".");
    const forged = `${Buffer.from(JSON.stringify(payload({ target_node_id: "evil", exp_ms: NOW + 10 ** 9 }))).toString("base64url")}.${signature}`;
    expect(verifier.verify(forged, SHA)).toMatchObject({ ok: false, reason: "bad grant signature" });
    for (const bad of ["", "abc", "a.b.c", `${TOKEN}`]) expect(verifier.verify(bad, SHA).ok).toBe(false);
  });
});

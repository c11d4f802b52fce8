// Join tokens for operators (docs/SECURITY.md "Joining a worker"): GET /v2/auth/join-tokens lists the
// unspent ones without their secret, DELETE /v2/auth/join-tokens/{id} revokes one (a revoked token is
// then refused as unknown), a spent one cannot be revoked (409), and only admins may do either.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema, JoinTokenListResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;

const as = (token: string, path: string, init: RequestInit = {}) => fetch(`${orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });

async function mint(body: Record<string, unknown> = {}) {
  const res = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return CreatedJoinTokenSchema.parse(await res.json());
}

const list = async () => JoinTokenListResponseSchema.parse(await (await orch.api("/v2/auth/join-tokens")).json()).join_tokens;

async function refusal(res: Response) {
  const env = ErrorEnvelopeSchema.parse(await res.json());
  return { status: res.status, code: env.code, reason: (env.details as { reason?: unknown } | undefined)?.reason };
}

beforeAll(async () => {
  orch = await startTestOrchestrator();
});

afterAll(async () => {
  await orch.close();
});

describe("join tokens for operators", () => {
  it("lists unspent tokens, newest first, never with the secret; spent and expired ones drop out", async () => {
    const a = await mint({ node_id: "adm-a" });
    const b = await mint();
    const short = await mint({ ttl_ms: 1000 });
    expect(a.join).toBe(`${orch.url}#${a.token}`);
    expect(a.ca_fingerprint).toBeNull();
    // The URL workers use can be named (a 0.0.0.0 bind's own URL is useless elsewhere); it is not a credential.
    const named = await mint({ orchestrator_url: "http://orch.lan:8080/" });
    expect(named.join).toBe(`http://orch.lan:8080#${named.token}`);
    expect((await orch.api(`/v2/auth/join-tokens/${named.id}`, { method: "DELETE" })).status).toBe(204);
    const res = await orch.api("/v2/auth/join-tokens");
    const text = await res.text();
    for (const t of [a, b, short]) expect(text).not.toContain(t.token.slice(4));
    const listed = JoinTokenListResponseSchema.parse(JSON.parse(text)).join_tokens;
    expect(listed.map((t) => t.id)).toEqual([short.id, b.id, a.id]);
    expect(listed.find((t) => t.id === a.id)).toMatchObject({ fp6: a.fp6, node_id: "adm-a", expires_at_ms: a.expires_at_ms, created_by: "builtin" });
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(["created_at_ms", "created_by", "expires_at_ms", "fp6", "id", "node_id"]);

    expect((await as(a.token, "/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "adm-a" }) })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await list()).map((t) => t.id)).toEqual([b.id]);
  });

  it("revokes an unspent token at once (then refused as unknown), and refuses to revoke a spent or unknown one", async () => {
    const t = await mint();
    expect((await orch.api(`/v2/auth/join-tokens/${t.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await list()).some((x) => x.id === t.id)).toBe(false);
    expect(await refusal(await as(t.token, "/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "adm-r" }) }))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_unknown" });
    expect((await orch.api(`/v2/auth/join-tokens/${t.id}`, { method: "DELETE" })).status).toBe(404);

    const spent = await mint();
    expect((await as(spent.token, "/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "adm-s" }) })).status).toBe(201);
    expect(await refusal(await orch.api(`/v2/auth/join-tokens/${spent.id}`, { method: "DELETE" }))).toEqual({ status: 409, code: "CONFLICT", reason: "join_token_used" });

    const audit = orch.orchestrator.auditTrail(50).filter((e) => e.action === "join_token_revoked" && e.target === `join:${t.fp6}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.outcome).toBe("success");
  });

  it("is admin-only: inference, read and worker keys get 403, no credential 401", async () => {
    const t = await mint();
    for (const scope of ["inference", "read", "worker"]) {
      const key = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: scope, scopes: [scope] }) })).json()).key;
      expect((await refusal(await as(key, "/v2/auth/join-tokens"))).code).toBe("FORBIDDEN_SCOPE");
      expect((await as(key, `/v2/auth/join-tokens/${t.id}`, { method: "DELETE" })).status).toBe(403);
    }
    expect((await fetch(`${orch.url}/v2/auth/join-tokens`)).status).toBe(401);
    // A join token is not a credential here either.
    expect((await as(t.token, "/v2/auth/join-tokens")).status).toBe(401);
    expect((await list()).some((x) => x.id === t.id)).toBe(true);
  });
});

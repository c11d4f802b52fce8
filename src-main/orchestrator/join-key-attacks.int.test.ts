// A join token holder choosing its own key (JoinNodeRequest.key) must gain nothing beyond one `worker`
// key bound to one node: no second key from one token (raced or replayed), no other credential's key
// taken over or revived (a revoked one included), no wider scope, and neither the token nor the
// proposed key in the logs. A join token opens POST /v2/nodes/join and nothing else. Orchestrator only
// (no worker process): every step is an HTTP call on loopback.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema, JoinNodeResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
});
afterAll(async () => {
  await orch.close();
});

const newKey = () => `llo_${randomBytes(32).toString("hex")}`;
const join = (token: string, body: unknown) =>
  fetch(`${orch.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
/** 401 for an unknown credential; 403 FORBIDDEN_SCOPE for a worker key (it may not list nodes) means it authenticates. */
const authenticates = async (key: string): Promise<boolean> => {
  const res = await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${key}` } });
  await res.body?.cancel();
  expect([401, 403]).toContain(res.status);
  return res.status === 403;
};
async function mint(nodeId?: string): Promise<string> {
  const res = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify(nodeId === undefined ? {} : { node_id: nodeId }) });
  expect(res.status).toBe(201);
  return CreatedJoinTokenSchema.parse(await res.json()).token;
}
async function refusal(res: Response): Promise<{ status: number; code: string; reason: unknown }> {
  const env = ErrorEnvelopeSchema.parse(await res.json());
  return { status: res.status, code: env.code, reason: (env.details as { reason?: unknown } | undefined)?.reason };
}

describe("a join token holder proposing its own key", () => {
  it("gets one key from one token however many joins race it, each proposing another key", async () => {
    const token = await mint();
    const keys = Array.from({ length: 8 }, newKey);
    const answers = await Promise.all(keys.map((key, i) => join(token, { node_id: `race-${i}`, key })));
    const won = answers.flatMap((res, i) => (res.status === 201 ? [i] : []));
    expect(won.length).toBe(1);
    for (const [i, res] of answers.entries()) if (i !== won[0]) expect(await refusal(res)).toMatchObject({ status: 401, reason: "join_token_used" });
    const winner = JoinNodeResponseSchema.parse(await (answers[won[0] as number] as Response).json());
    expect(winner.key).toBe(keys[won[0] as number]);
    expect(winner.scopes).toEqual(["worker"]);
    for (const [i, key] of keys.entries()) expect(await authenticates(key), `key ${i}`).toBe(i === won[0]);
    // The spent token replayed with yet another key, for another node: refused, that key never works.
    const late = newKey();
    expect(await refusal(await join(token, { node_id: "race-late", key: late }))).toMatchObject({ status: 401, reason: "join_token_used" });
    expect(await authenticates(late)).toBe(false);
  });

  it("cannot take over or revive another credential's key, nor ask for scopes; the token stays unspent", async () => {
    const admin = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "an admin", scopes: ["admin"] }) })).json());
    const revoked = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "to revoke", scopes: ["worker"] }) })).json());
    expect((await orch.api(`/v2/auth/keys/${revoked.id}`, { method: "DELETE" })).status).toBe(204);
    const token = await mint("taker");
    expect(await refusal(await join(token, { node_id: "taker", key: admin.key }))).toEqual({ status: 409, code: "CONFLICT", reason: "join_key_in_use" });
    // A revoked key proposed again would be a second row with its digest: the old secret working again.
    expect(await refusal(await join(token, { node_id: "taker", key: revoked.key }))).toEqual({ status: 409, code: "CONFLICT", reason: "join_key_in_use" });
    expect(await authenticates(revoked.key)).toBe(false);
    // Each refusal leaves the token unspent, so a holder can be refused in a loop: a few log lines, not one each.
    const before = orch.logs.filter((l) => l.includes("node join refused")).length;
    for (let i = 0; i < 30; i++) {
      const res = await join(token, { node_id: "taker", key: admin.key });
      expect(res.status).toBe(409);
      await res.body?.cancel();
    }
    expect(orch.logs.filter((l) => l.includes("node join refused")).length - before).toBeLessThanOrEqual(5);
    for (const body of [{ node_id: "taker", key: newKey(), scopes: ["admin"] }, { node_id: "taker", key: newKey().toUpperCase() }, { node_id: "taker", key: `${newKey()}\n` }, { node_id: "taker", key: "llo_" + "0".repeat(63) }]) {
      const res = await join(token, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      // The refusal names the rule, never echoes the proposed secret.
      expect((await res.text()).includes(body.key.trim().slice(4, 40))).toBe(false);
    }
    // The admin key is still the admin's alone (not bound to a node, scopes untouched).
    const list = (await (await orch.api("/v2/auth/keys")).json()) as { keys: { id: string; scopes: string[] }[] };
    expect(list.keys.find((k) => k.id === admin.id)?.scopes).toEqual(["admin"]);
    // After all those refusals the token still works, once.
    const mine = newKey();
    expect((await join(token, { node_id: "taker", key: mine })).status).toBe(201);
    expect(await authenticates(mine)).toBe(true);
    const logs = orch.logs.join("\n");
    for (const secret of [token, mine, admin.key, revoked.key]) expect(logs.includes(secret)).toBe(false);
    expect(logs.includes(mine.slice(4, 20))).toBe(false);
  });

  it("cannot join as the orchestrator's store (control-plane, any letter case): refused before the token is spent; nor can a token be minted for it", async () => {
    const token = await mint();
    for (const nodeId of ["control-plane", "Control-Plane"]) expect(await refusal(await join(token, { node_id: nodeId, key: newKey() }))).toEqual({ status: 400, code: "INVALID_PARAMS", reason: "reserved_node_id" });
    expect((await join(token, { node_id: "after-reserved", key: newKey() })).status).toBe(201);
    expect(await refusal(await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ node_id: "CONTROL-PLANE" }) }))).toEqual({ status: 400, code: "INVALID_PARAMS", reason: "reserved_node_id" });
  });

  it("a join token opens POST /v2/nodes/join only: every other route answers it 401", async () => {
    const token = await mint();
    const others = ORCHESTRATOR_ROUTES.filter((r) => r.auth && !(r.method === "post" && r.path === "/v2/nodes/join"));
    const statuses: string[] = [];
    for (const route of others) {
      const res = await fetch(`${orch.url}${route.path.replace(/\{(\w+)\}/g, "x1")}`, {
        method: route.method.toUpperCase(),
        headers: { authorization: `Bearer ${token}`, ...(route.body ? { "content-type": "application/json" } : {}) },
        ...(route.body ? { body: "{}" } : {}),
      });
      await res.body?.cancel();
      statuses.push(`${route.method.toUpperCase()} ${route.path}: ${res.status}`);
    }
    expect(statuses).toEqual(others.map((r) => `${r.method.toUpperCase()} ${r.path}: 401`));
    // Nor the join route under another spelling (Express matches paths case-insensitively, with a trailing slash).
    for (const path of ["/V2/NODES/JOIN", "/v2/nodes/join/"]) {
      const res = await fetch(`${orch.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "spelled", key: newKey() }) });
      expect(res.status, path).not.toBe(201);
      await res.body?.cancel();
    }
    // And it is still unspent.
    expect((await join(token, { node_id: "only-join", key: newKey() })).status).toBe(201);
  });
});

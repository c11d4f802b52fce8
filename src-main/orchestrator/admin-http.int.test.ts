import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyListResponseSchema, CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ClusterSnapshotSchema, ClusterStatsSchema } from "../../src-shared/dashboard/cluster-events.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
});
afterAll(async () => {
  await orch.close();
});

const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

describe("administration API", () => {
  it("rotates an API key: two live keys during rotation, the old one refused after revoke, only fingerprints listed", async () => {
    const old = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "ci", scopes: ["read"] }) })).json());
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(old.key) })).status).toBe(200);
    const next = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "ci (rotated)", scopes: ["read"] }) })).json());
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(old.key) })).status).toBe(200);
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(next.key) })).status).toBe(200);
    expect((await orch.api(`/v2/auth/keys/${old.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(old.key) })).status).toBe(401);
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(next.key) })).status).toBe(200);
    const listed = JSON.stringify(ApiKeyListResponseSchema.parse(await (await orch.api("/v2/auth/keys")).json()));
    expect(listed).not.toContain(old.key);
    expect(listed).toContain(old.fp6);
    expect(orch.logs.some((l) => l.includes(next.key))).toBe(false);
  });

  it("keeps API keys across a restart (stored hashed) and refuses revoked ones after it", async () => {
    const key = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "persisted", scopes: ["read"] }) })).json());
    await orch.restart();
    expect((await fetch(`${orch.url}/v2/nodes`, { headers: asKey(key.key) })).status).toBe(200);
  });

  it("validates settings changes with a clear error and changes nothing on bad input", async () => {
    const bad = await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringContaining("admission_capacity") });
    const unknown = await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 5, queue_capacity: 5 }) });
    expect(unknown.status).toBe(400);
    // A read-only fact with another value than it has is refused by name (before: any read-only key was "unrecognized").
    const readOnly = await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 5, bind_addr: "0.0.0.0:80", profile: "cloud" }) });
    expect(readOnly.status).toBe(400);
    expect(await readOnly.json()).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/^profile, bind_addr: read-only/) });
    expect(await (await orch.api("/v2/settings")).json()).toMatchObject({ admission_capacity: 100, placement_strategy: "least-loaded" });
    // GET, change one key, PUT the whole of it back: what a careless client (or `curl | jq | curl`) does.
    const read = (await (await orch.api("/v2/settings")).json()) as Record<string, unknown>;
    const ok = await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ ...read, placement_strategy: "round-robin" }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ placement_strategy: "round-robin", admission_capacity: 100 });
    await orch.restart();
    expect(await (await orch.api("/v2/settings")).json()).toMatchObject({ placement_strategy: "round-robin" });
  });

  it("streams a cluster snapshot first, then per-second stats", async () => {
    const controller = new AbortController();
    const res = await orch.api("/v2/events", { signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames: { event: string; data: string }[] = [];
    for await (const frame of readSseFrames(res.body as ReadableStream<Uint8Array>)) {
      frames.push(frame);
      if (frame.event === "stats") break;
    }
    controller.abort();
    expect(frames[0]?.event).toBe("snapshot");
    const snapshot = ClusterSnapshotSchema.parse(JSON.parse(frames[0]?.data ?? "{}"));
    expect(snapshot.public_url).toBe(orch.url);
    expect(ClusterStatsSchema.parse(JSON.parse(frames.find((f) => f.event === "stats")?.data ?? "{}")).nodes_total).toBe(0);
  });

  it("mints one-time dashboard login links", async () => {
    const res = await orch.api("/v2/auth/login-codes", { method: "POST" });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    expect((await fetch(url, { redirect: "manual" })).status).toBe(302);
  });
});

// Revoking an API key ends what it has open, not only its next request. A revoked `read` key used to
// keep its GET /v2/events stream, and with it every node, address and task the cluster reported, for
// as long as the connection stayed up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../../src-shared/auth/scopes.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
});
afterAll(async () => {
  await orch.close();
});

const createKey = (name: string, scopes: Scope[]) => createApiKey(orch, name, scopes);

/** Reads the stream to its end; "open" when it is still going after `ms`. */
async function endWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<"ended" | "open"> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return "open";
    let timer: NodeJS.Timeout | undefined;
    const step = await Promise.race([
      reader.read().then(
        (r) => (r.done ? "ended" : "data"),
        () => "ended",
      ),
      new Promise<"open">((resolve) => (timer = setTimeout(() => resolve("open"), left))),
    ]);
    clearTimeout(timer);
    if (step !== "data") return step === "ended" ? "ended" : "open";
  }
}

describe("revoking an API key", () => {
  it("ends its open event stream at once, and a reconnect is refused", async () => {
    const reader = await createKey("dashboard reader", ["read"]);
    const res = await fetch(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${reader.key}` } });
    expect(res.status).toBe(200);
    const body = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await body.read();
    expect(new TextDecoder().decode(first.value)).toContain("event: snapshot");

    expect((await orch.api(`/v2/auth/keys/${reader.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await endWithin(body, 5000)).toBe("ended");
    expect((await fetch(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${reader.key}` } })).status).toBe(401);
  });

  it("leaves other keys' streams open", async () => {
    const kept = await createKey("kept reader", ["read"]);
    const revoked = await createKey("revoked reader", ["read"]);
    const res = await fetch(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${kept.key}` } });
    const body = (res.body as ReadableStream<Uint8Array>).getReader();
    await body.read();
    expect((await orch.api(`/v2/auth/keys/${revoked.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await endWithin(body, 1500)).toBe("open");
    await body.cancel();
  });

  it("still answers a key that revokes itself", async () => {
    const admin = await createKey("short-lived admin", ["admin"]);
    const res = await fetch(`${orch.url}/v2/auth/keys/${admin.id}`, { method: "DELETE", headers: { authorization: `Bearer ${admin.key}` } });
    expect(res.status).toBe(204);
    expect((await fetch(`${orch.url}/v2/auth/keys`, { headers: { authorization: `Bearer ${admin.key}` } })).status).toBe(401);
  });
});

// GET /v2/events carries the orchestrator's log lines to admins only, as GET /v2/logs does. A `read`
// key (monitoring, a shared dashboard) used to get the last 300 log lines in its snapshot and every new
// one live: key creations, refused operations, client addresses, what GET /v2/logs refuses it (403).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../../src-shared/auth/scopes.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
});
afterAll(async () => {
  await orch.close();
});

const createKey = async (name: string, scopes: Scope[]) => (await createApiKey(orch, name, scopes)).key;

/** Collects an event stream's text until closed. */
async function openStream(key: string, protocol: 1 | 2) {
  const controller = new AbortController();
  const res = await fetch(`${orch.url}/v2/events${protocol === 2 ? "?protocol=2" : ""}`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  const state = { text: "" };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      state.text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  return { state, close: () => controller.abort() };
}

/** Log entries in a stream's text: snapshot (protocol 1), snapshot pages of kind logs (protocol 2), live `log` frames. */
function logLines(text: string): number {
  let n = 0;
  for (const frame of text.split("\n\n")) {
    const event = /^event: (\w+)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event === undefined || data === undefined) continue;
    if (event === "log") n++;
    if (event === "snapshot") n += (JSON.parse(data) as { logs: unknown[] }).logs.length;
    if (event === "snapshot_page") {
      const page = JSON.parse(data) as { kind: string; items: unknown[] };
      if (page.kind === "logs") n += page.items.length;
    }
  }
  return n;
}

describe("log lines on GET /v2/events", () => {
  for (const protocol of [1, 2] as const) {
    it(`go to admins only (protocol ${protocol}): a read key gets nodes, tasks and stats but no log line`, async () => {
      const reader = await createKey(`reader ${protocol}`, ["read"]);
      const admin = await createKey(`admin ${protocol}`, ["admin"]);
      expect((await fetch(`${orch.url}/v2/logs`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(403);
      const asReader = await openStream(reader, protocol);
      const asAdmin = await openStream(admin, protocol);
      await waitFor("both snapshots", () => [asReader, asAdmin].every((s) => s.state.text.includes(protocol === 1 ? "event: snapshot\n" : "event: snapshot_end")), 10_000);
      // A new log line while both listen (creating a key is logged).
      await createKey(`logged ${protocol}`, ["inference"]);
      await waitFor("the admin stream's live log line", () => asAdmin.state.text.includes("event: log"), 10_000);
      // The stats frame a second later shows the reader's stream is live, and still without logs.
      await waitFor("the reader's stats frame", () => asReader.state.text.includes("event: stats"), 10_000);
      expect(logLines(asAdmin.state.text)).toBeGreaterThan(0);
      expect(logLines(asReader.state.text)).toBe(0);
      asReader.close();
      asAdmin.close();
    });
  }
});

// Revoking a node's key stops the node at once (docs/SECURITY.md "Joining a worker"): the orchestrator
// takes it out of placement and fails over the tasks streaming from it when the key is revoked, not when
// its heartbeats have been missing long enough. Found by the post-merge soak (2026-11-30): after
// DELETE /v2/auth/keys/{node key} the node stayed Online and kept receiving prompts, over its node call
// token, until heartbeat silence (node_suspect_ms) turned it Suspect.
// node_suspect_ms and node_timeout_ms are set far beyond the test's run, so only the revocation can
// take the node out.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema } from "../../src-shared/auth/join-tokens.js";
import { ApiKeyListResponseSchema } from "../../src-shared/dashboard/api-keys.js";
import type { NodeListResponse } from "../../src-shared/nodes/node-info.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { killAllWorkers, startWorker, waitFor } from "../../test-support/worker-agent-process.js";

const NODE = "revoked-w1";
let orch: TestOrchestrator;

const nodes = async (): Promise<NodeListResponse> => (await (await orch.api("/v2/nodes")).json()) as NodeListResponse;

beforeAll(async () => {
  orch = await startTestOrchestrator({ node_suspect_ms: 120_000, node_timeout_ms: 240_000 });
  const res = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ node_id: NODE }) });
  expect(res.status).toBe(201);
  const { token } = CreatedJoinTokenSchema.parse(await res.json());
  const dataDir = join(await mkdtemp(join(tmpdir(), "llorch-revoke-node-")), "data");
  await startWorker({
    models: { "medium.gguf": testModelPath("medium") },
    config: { node_id: NODE, orchestrator_url: orch.url, data_dir: dataDir, heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
    env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN_TOKEN: token },
  });
  await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === NODE && n.status === "Online" && n.pools.some((p) => p.ready)), 60_000);
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await orch.close();
});

describe("revoking a node key", () => {
  it("takes the node out at once and ends the task streaming from it", async () => {
    // A long generation on the node, read until it has produced tokens.
    const stream = await orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: testModelName("medium"), prompt: "Once", max_tokens: 3000, stream: true }) });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"text"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before its first token: ${text}`);
      text += decoder.decode(value, { stream: true });
    }

    const keys = ApiKeyListResponseSchema.parse(await (await orch.api("/v2/auth/keys")).json());
    const nodeKey = keys.keys.find((k) => k.name.startsWith(`node ${NODE} `) && k.revoked_at_ms === null);
    expect(nodeKey).toBeDefined();
    expect((await orch.api(`/v2/auth/keys/${nodeKey?.id}`, { method: "DELETE" })).status).toBe(204);

    // At once: the very next read of the node list no longer offers it for placement.
    const after = (await nodes()).nodes.find((n) => n.node_id === NODE);
    expect(after?.status).toBe("Offline");

    // The stream it was serving ends (with an error naming the node), long before 3000 tokens.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain("WORKER_RESET");
    expect(text).toContain("key was revoked");

  }, 60_000);
});

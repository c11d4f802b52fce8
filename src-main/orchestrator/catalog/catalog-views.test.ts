import { describe, expect, it } from "vitest";
import type { StagingJob } from "../../../src-shared/staging/staging-job.js";
import type { KnownModel, StoredPlacement } from "../db/known-model-store.js";
import { buildCatalogViews } from "./catalog-views.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");
const model = (n: number): KnownModel => ({ sha256: sha(n), size_bytes: 1000 + n, architecture: "llama", parameter_count: null, context_length: 4096, quantization: null, has_chat_template: true, first_seen_ms: 1, updated_at_ms: 1, gguf_names: [`model-${n}`], file_names: [`model-${n}.gguf`] });
const placement = (n: number, node: string, state: StoredPlacement["state"] = "verified", at = 5): StoredPlacement => ({ sha256: sha(n), node_id: node, state, file_names: state === "verified" ? [`model-${n}.gguf`] : [], updated_at_ms: at });
const job = (n: number, node: string, state: StagingJob["state"], bytes: number, at: number, id = `job-${n}-${node}-${at}`): StagingJob => ({
  job_id: id, sha256: sha(n), file_name: `model-${n}.gguf`, size_bytes: 1000 + n, target_node_id: node, source_node_id: "a", state, bytes_done: bytes, bytes_transferred: bytes, attempts: 1,
  failed_sources: [], preferred_sources: [], bandwidth_limit_bytes_per_s: null, error: null, created_at_ms: at, updated_at_ms: at, finished_at_ms: null,
});

describe("buildCatalogViews", () => {
  it("gives every model one placement per node: verified, staging (the newest job), partial, absent, and nodes gone but still placed", () => {
    const [view] = buildCatalogViews({
      known: [model(1)],
      placements: [placement(1, "a"), placement(1, "gone-node"), placement(1, "d", "absent", 9)],
      // Newest first, as the staging store lists them: b's running job wins over its older failure.
      jobs: [job(1, "b", "transferring", 300, 20), job(1, "b", "failed", 100, 10), job(1, "c", "failed", 250, 15), job(1, "d", "failed", 0, 12)],
      records: [],
      nodeIds: ["d", "c", "b", "a", "e"],
    });
    expect(view?.nodes.map((p) => [p.node_id, p.state, p.bytes, p.updated_at_ms])).toEqual([
      ["a", "verified", 1001, 5],
      ["b", "staging", 300, 20],
      ["c", "partial", 250, 15],
      ["d", "absent", 0, 12],
      ["e", "absent", 0, 0],
      ["gone-node", "verified", 1001, 5],
    ]);
    expect(view?.nodes.find((p) => p.node_id === "b")?.job_id).toBe("job-1-b-20");
    expect(view?.nodes.find((p) => p.node_id === "a")?.file_names).toEqual(["model-1.gguf"]);
  });

  it("builds the catalog of a 1,000-node fleet holding 50 models (each node 5) with every placement right", () => {
    const nodeIds = Array.from({ length: 1000 }, (_, i) => `node-${String(i).padStart(4, "0")}`);
    const known = Array.from({ length: 50 }, (_, m) => model(m));
    const placements = nodeIds.flatMap((node, i) => [0, 1, 2, 3, 4].map((k) => placement((i + k * 10) % 50, node)));
    const jobs = nodeIds.slice(0, 200).map((node, i) => job((i + 7) % 50, node, "transferring", 10, 100 + i));
    const views = buildCatalogViews({ known, placements, jobs, records: [], nodeIds });
    expect(views).toHaveLength(50);
    for (const view of views) expect(view.nodes).toHaveLength(1000);
    const state = (m: number, node: string) => views[m]?.nodes.find((p) => p.node_id === node)?.state;
    expect(views.reduce((sum, v) => sum + v.nodes.filter((p) => p.state === "verified").length, 0)).toBe(5000);
    expect(views.reduce((sum, v) => sum + v.nodes.filter((p) => p.state === "staging").length, 0)).toBe(200);
    expect([state(0, "node-0000"), state(10, "node-0000"), state(7, "node-0000"), state(1, "node-0000")]).toEqual(["verified", "verified", "staging", "absent"]);
  });

  it("names a model whose name an operator alias holds name@<12 hex>, with the rule saying so, as /v1/models lists it", () => {
    const views = buildCatalogViews({ known: [model(1), model(2)], placements: [], jobs: [], records: [], nodeIds: [], aliases: new Map([["model-1", sha(2)]]) });
    expect(views.map((v) => [v.name, v.id_rule])).toEqual([
      [`model-1@${sha(1).slice(0, 12)}`, { base: "gguf_name", alias: true }],
      ["model-2", { base: "gguf_name", alias: false }],
    ]);
  });
});

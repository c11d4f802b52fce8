// The catalog reports what each model serves (read from its GGUF header), also for models hashed before
// workloads were read: a cache entry without them has its header read again, without hashing again.
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { ModelCatalog } from "./model-catalog.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "catalog-workloads-"));
  await copyFile(testModelPath("tiny-reranker"), join(dir, "reranker.gguf"));
  await copyFile(testModelPath("tiny"), join(dir, "tiny.gguf"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inventoryOnce(cachePath: string) {
  const catalog = new ModelCatalog(dir, cachePath, 60_000, pino({ level: "silent" }));
  await catalog.start();
  catalog.stop();
  return Object.fromEntries(catalog.inventory().map((m) => [m.file_name, m.workloads]));
}

describe("model workloads in the catalog", () => {
  it("a reranker serves rerank only, a llama model completion and embedding; an old cache entry is re-read", async () => {
    const cachePath = join(dir, "state", "catalog-cache.json");
    expect(await inventoryOnce(cachePath)).toEqual({ "reranker.gguf": ["rerank"], "tiny.gguf": ["completion", "embedding"] });

    // What a cache written before this field looks like: the same entries without metadata.workloads.
    const cache = JSON.parse(await readFile(cachePath, "utf8")) as { entries: Record<string, { metadata: Record<string, unknown> | null }> };
    for (const entry of Object.values(cache.entries)) delete entry.metadata?.["workloads"];
    await writeFile(cachePath, JSON.stringify(cache));
    expect(await inventoryOnce(cachePath)).toEqual({ "reranker.gguf": ["rerank"], "tiny.gguf": ["completion", "embedding"] });
    const rewritten = JSON.parse(await readFile(cachePath, "utf8")) as typeof cache;
    expect(Object.values(rewritten.entries).map((e) => e.metadata?.["workloads"])).toEqual(expect.arrayContaining([["rerank"], ["completion", "embedding"]]));
  });
});

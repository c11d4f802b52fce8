import { unlink } from "node:fs/promises";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { InPlaceFiles } from "../catalog/in-place-files.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { PoolRegistry } from "../pools/pool-registry.js";
import type { ModelPulls } from "./model-pulls.js";

/**
 * DELETE /v2/models/{sha256}: removes every file with this digest (and any partial pull; a partial
 * file alone is removed too, 404 only when neither is here). Refused
 * while a pool serves it: a configured pool that loads it, an auto pool reloaded to it, or any pool
 * running a task on it. An idle auto pool (one per file in the models dir) goes away with its file. A file served in place is
 * only forgotten: it stays in the other tool's folder.
 */
export async function removeModel(sha256: string, deps: { catalog: ModelCatalog; pools: PoolRegistry; pulls: ModelPulls; inPlace: InPlaceFiles; log: Logger }): Promise<void> {
  const files = deps.catalog.list().filter((m) => m.sha256 === sha256);
  if (files.length === 0) {
    // Only a partial file (a failed or canceled pull's): removing it is how an operator frees that disk.
    if (!(await deps.pulls.hasPartial(sha256))) throw new OrchError("MODEL_NOT_FOUND", `model ${sha256} is not on this node`);
    await deps.pulls.cancel(sha256);
    deps.log.info({ sha256 }, "partial model file removed");
    return;
  }
  const paths = new Set(files.map((f) => f.path));
  for (const pool of deps.pools.list()) {
    const diagnostics = pool.diagnostics();
    const loads = pool.snapshot().model?.sha256 === sha256 || (diagnostics.model_path !== null && paths.has(diagnostics.model_path));
    if (!loads) continue;
    if (diagnostics.source !== "auto") throw new OrchError("CONFLICT", `pool ${pool.id} serves this model; reload or remove the pool first`, { pool_id: pool.id });
    // An auto pool goes away with its own file only: one reloaded to this model would keep serving it
    // from memory while its own model, still on disk, is served by nothing.
    const own = diagnostics.defined_model === undefined ? undefined : deps.catalog.resolve(diagnostics.defined_model);
    if (own !== undefined && !paths.has(own.path)) {
      throw new OrchError("CONFLICT", `pool ${pool.id} was reloaded to this model (its own is ${own.file_name}); reload it back (POST /v2/pools/${pool.id}/reload) or to another model first`, { pool_id: pool.id });
    }
    if (diagnostics.slots_busy > 0 || diagnostics.slots_waiting > 0) throw new OrchError("CONFLICT", `pool ${pool.id} is running tasks on this model; retry when it is idle`, { pool_id: pool.id, retriable: true });
  }
  await deps.pulls.cancel(sha256);
  const wasInPlace = new Set([...paths].filter((p) => deps.inPlace.has(p)));
  // A file used in place belongs to another tool: forget it, never delete it.
  await deps.inPlace.remove(paths);
  for (const path of paths) if (!wasInPlace.has(path)) await unlink(path).catch((error: unknown) => deps.log.warn({ err: error, path }, "cannot delete model file"));
  // Wait out a running scan, then scan again so the inventory no longer lists the files.
  await deps.catalog.scan();
  await deps.catalog.scan();
  deps.log.info({ sha256, files: [...paths] }, "model removed");
}

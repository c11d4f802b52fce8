import { realpath } from "node:fs/promises";
import type { DiscoveredModel } from "../../../src-shared/catalog/discovered-model.js";
import type { StoreModel } from "../../../src-shared/catalog/store-model.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { ingestGguf } from "./gguf-ingest.js";
import { hostFile, storeFileName, storeModelOf } from "./model-import.js";
import type { ModelStore } from "./model-store.js";

/**
 * Adds a discovered model to the store without copying it: its header is checked and its bytes
 * hashed where they are, and the store keeps a link. Only paths discovery listed are accepted.
 */
export async function useInPlace(store: ModelStore, path: string, discovered: readonly DiscoveredModel[]): Promise<StoreModel> {
  const candidate = discovered.find((d) => d.path === path);
  if (candidate === undefined) throw new OrchError("MODEL_NOT_FOUND", `${path} is not among the discovered models (GET /v2/catalog/discovered)`);
  const ingested = await ingestGguf(hostFile(path), null);
  if (candidate.sha256 !== null && candidate.sha256 !== ingested.sha256) throw new OrchError("INVALID_PARAMS", `${path} hashes to ${ingested.sha256}, not the ${candidate.sha256} its folder names`);
  return store.add(storeModelOf(ingested, storeFileName(candidate.file_name), "in_place", path), { link: await realpath(path) });
}

import { homedir } from "node:os";
import type { Request, Response } from "express";
import type { HubPullRequest } from "../../../src-shared/catalog/hub-pull.js";
import type { ImportModelRequest, StoreModel } from "../../../src-shared/catalog/store-model.js";
import type { UsedOnNode } from "../../../src-shared/catalog/discovered-model.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { InPlaceModelResponse } from "../../../src-shared/worker-api/in-place-model.js";
import type { AuditLog } from "../db/audit-log.js";
import type { HubPulls } from "../store/hub-pulls.js";
import { useInPlace } from "../store/in-place.js";
import { freeBytes } from "../store/free-bytes.js";
import { discoverModels } from "../store/model-discovery.js";
import { importFromPath, importUpload } from "../store/model-import.js";
import type { ModelStore } from "../store/model-store.js";
import { serveStoreContent } from "../store/store-content.js";

export interface StoreServiceDeps {
  store: ModelStore;
  pulls: HubPulls;
  audit: AuditLog;
  /** Asks a node to serve a file on its machine from where it is (throws OrchError). */
  useOnNode: (nodeId: string, path: string) => Promise<InPlaceModelResponse>;
}

/**
 * The orchestrator's own model store: imports from a host path or a streamed upload, hub pulls,
 * models discovered in other tools' folders (used in place), and serving files to staging targets.
 */
export class StoreService {
  constructor(private readonly deps: StoreServiceDeps) {}

  models(): StoreModel[] {
    return this.deps.store.list();
  }

  /** GGUF files in LM Studio's, Ollama's, llama.cpp's and Hugging Face's folders, marked when already in the store. */
  async discovered() {
    const found = await discoverModels(homedir(), process.env);
    const inStore = new Set(this.deps.store.list().flatMap((m) => [m.sha256, m.source ?? ""]));
    return { models: found.models.map((m) => ({ ...m, in_store: inStore.has(m.path) || (m.sha256 !== null && inStore.has(m.sha256)) })), searched: found.searched };
  }

  async importFromPath(req: ImportModelRequest, actor: string): Promise<StoreModel> {
    const model = await importFromPath(this.deps.store, req.path, req.file_name);
    this.audit(actor, "model_imported", model.sha256, { path: req.path, file_name: model.file_name });
    return model;
  }

  /** `announcedBytes`: the request's Content-Length, checked against free disk before a byte is written. */
  async upload(body: AsyncIterable<Uint8Array>, fileName: string, actor: string, announcedBytes: number | null = null): Promise<StoreModel> {
    if (announcedBytes !== null) {
      const free = await freeBytes(this.deps.store.dir);
      // A lying 1 PB Content-Length was read until the body deadline (408): refused at once, as hub pulls are.
      if (announcedBytes > free) throw new OrchError("STORAGE_FULL", `not enough free disk in the orchestrator's model store: the upload announces ${announcedBytes} bytes, ${free} are free`, { retriable: false, details: { reason: "insufficient_disk", announced_bytes: announcedBytes, free_bytes: free } });
    }
    const model = await importUpload(this.deps.store, body, fileName);
    this.audit(actor, "model_uploaded", model.sha256, { file_name: model.file_name, size_bytes: model.size_bytes });
    return model;
  }

  /** Only a path that discovery listed may be used in place. */
  async useDiscovered(path: string, actor: string): Promise<StoreModel> {
    const model = await useInPlace(this.deps.store, path, (await this.discovered()).models);
    this.audit(actor, "model_used_in_place", model.sha256, { path });
    return model;
  }

  /**
   * A discovered file served by a node from where it is: for a worker on this machine (the HOME
   * profile's local worker), so nothing is copied into its models dir. The node checks the file is a
   * GGUF and hashes it; the catalog lists it under its sha256 once the node reports it.
   */
  async useDiscoveredOnNode(path: string, nodeId: string, actor: string): Promise<UsedOnNode> {
    const candidate = (await this.discovered()).models.find((d) => d.path === path);
    if (candidate === undefined) throw new OrchError("MODEL_NOT_FOUND", `${path} is not among the discovered models (GET /v2/catalog/discovered)`);
    const used = await this.deps.useOnNode(nodeId, path);
    this.audit(actor, "model_used_in_place", candidate.sha256 ?? path, { path, node_id: nodeId });
    return { node_id: nodeId, path: used.path, file_name: used.file_name, size_bytes: used.size_bytes, sha256: candidate.sha256 };
  }

  startPull(req: HubPullRequest, actor: string) {
    const pull = this.deps.pulls.start(req);
    this.audit(actor, "model_pull_started", pull.url, { pull_id: pull.pull_id, ref: req.ref });
    return pull;
  }

  pulls() {
    return this.deps.pulls.list();
  }

  pull(id: string) {
    return this.deps.pulls.get(id);
  }

  cancelPull(id: string) {
    return this.deps.pulls.cancel(id);
  }

  /** A verified store file to a staging target (Range supported). */
  serveContent(req: Request, res: Response, sha256: string): Promise<void> {
    return serveStoreContent(req, res, sha256, this.deps.store);
  }

  private audit(actor: string, action: string, target: string, details: Record<string, unknown>): void {
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action, target, outcome: "success", details });
  }
}

import { EventEmitter } from "node:events";
import { mkdir, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { modelBaseName } from "../../src-shared/models/model-id.js";
import { parseModelRef } from "../../src-shared/models/model-ref.js";
import type { ModelInventoryEntry } from "../../src-shared/models/model-inventory.js";
import type { QuarantinedCopy } from "../../src-shared/models/quarantined-copy.js";
import type { Logger } from "../logging/logger.js";
import { CatalogCache } from "./catalog-cache.js";
import { judgeCopy, type VerifiedCopy } from "./copy-check.js";
import { CopyQuarantine } from "./copy-quarantine.js";
import { fileSha256 } from "./file-sha256.js";
import { inPlaceFileName } from "./in-place-files.js";
import { readGgufModelMetadata } from "./gguf-metadata.js";

/** A GGUF file in the models dir. `inventory` is absent when its header could not be read. */
export interface CatalogModel {
  path: string;
  file_name: string;
  size_bytes: number;
  mtime_ms: number;
  /** The inode: a change of bytes under the same inode is a change in place (see copy-check.ts). */
  ino: number;
  sha256: string;
  /** GGUF header: bytes the file needs at least (absent when unknown). */
  min_file_bytes?: number;
  inventory?: ModelInventoryEntry;
  metadata_error?: string;
}

// A file modified this recently may still be being copied in; look again on the next scan.
const SETTLE_MS = 500;

/**
 * The local catalog: every *.gguf directly in the models dir (and the files used in place), identified by sha256. `scan()` is
 * safe to call any time (scans never overlap); `start()` re-scans every poll interval so a model
 * added later is picked up without a restart. Emits "changed" when the set of models changes.
 */
export class ModelCatalog extends EventEmitter<{ changed: []; quarantined: [path: string, copy: QuarantinedCopy] }> {
  private models = new Map<string, CatalogModel>();
  private readonly cache: CatalogCache;
  private readonly quarantine: CopyQuarantine;
  /** Incomplete files already warned about (path:size), so a stalled copy is logged once. */
  private readonly warnedIncomplete = new Set<string>();
  private scanning: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private scannedOnce = false;
  private cacheWriteFailing = false;
  /** Files known to be complete (verified uploads): no settle delay. */
  private readonly settled = new Set<string>();
  /** Digests computed while the file was written (staged pulls), keyed by path, valid for that size/mtime/inode. */
  private readonly adopted = new Map<string, { sha256: string; size: number; mtimeMs: number; ino: number }>();

  constructor(
    readonly modelsDir: string,
    cachePath: string,
    private readonly pollMs: number,
    private readonly log: Logger,
    /** Absolute paths of files served in place, outside the models dir (in-place-files.ts). */
    private readonly inPlace: () => readonly string[] = () => [],
  ) {
    super();
    this.cache = new CatalogCache(cachePath);
    this.quarantine = new CopyQuarantine(modelsDir, log);
  }

  /** Copies quarantined since the agent started (most recent last). */
  quarantined(): QuarantinedCopy[] {
    return this.quarantine.list();
  }

  async start(): Promise<void> {
    await mkdir(this.modelsDir, { recursive: true });
    await this.cache.load();
    await this.scan();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  list(): CatalogModel[] {
    return [...this.models.values()].sort((a, b) => a.file_name.localeCompare(b.file_name));
  }

  inventory(): ModelInventoryEntry[] {
    return this.list().flatMap((m) => (m.inventory !== undefined ? [m.inventory] : []));
  }

  /** sha256 (bare or sha256:), file name, friendly name or file:/abs path of a file in the models dir. */
  resolve(ref: string): CatalogModel | undefined {
    const models = this.list();
    const byFileName = models.find((m) => m.file_name === ref);
    if (byFileName !== undefined) return byFileName;
    const parsed = parseModelRef(ref);
    if (!parsed.ok) return undefined;
    switch (parsed.ref.kind) {
      case "sha256": {
        const sha = parsed.ref.sha256;
        return models.find((m) => m.sha256 === sha);
      }
      case "file": {
        const path = parsed.ref.path;
        return models.find((m) => m.path === path);
      }
      case "name": {
        const name = parsed.ref.name;
        return models.find((m) => m.inventory?.name === name) ?? models.find((m) => m.file_name === `${name}.gguf`);
      }
      case "hf": {
        const file = parsed.ref.path === undefined ? undefined : basename(parsed.ref.path);
        return file === undefined ? undefined : models.find((m) => m.file_name === file);
      }
    }
  }

  /** A file that is complete by construction (renamed into place after verification). */
  markComplete(path: string): void {
    this.settled.add(path);
  }

  /**
   * A file renamed into place after its bytes were hashed on the way in: complete (no settle delay)
   * and its digest known, so the scan does not read it again. Only while the file is unchanged.
   */
  async adoptVerified(path: string, sha256: string): Promise<void> {
    const st = await stat(path);
    this.adopted.set(path, { sha256, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    this.settled.add(path);
  }

  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.scan()
        .catch((error: unknown) => this.log.warn({ err: error }, "model scan failed"))
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.modelsDir)).filter((n) => n.toLowerCase().endsWith(".gguf") && !n.startsWith("."));
    } catch (error) {
      this.log.warn({ err: error, models_dir: this.modelsDir }, "cannot list models dir");
      names = [];
    }
    const next = new Map<string, CatalogModel>();
    const now = Date.now();
    // Files served in place (outside the models dir) are complete and never moved aside.
    const inPlace = this.inPlace();
    const entries = [...names.map((name) => ({ path: join(this.modelsDir, name), name })), ...inPlace.map((path) => ({ path, name: inPlaceFileName(path) }))];
    const inPlaceSet = new Set(inPlace);
    // Incomplete files keep their cache entry (digest and header) though they are not served: forgotten,
    // a truncated file left in the folder (an interrupted download) was hashed again at every scan.
    const incomplete = new Set<string>();
    for (const { path, name } of entries) {
      try {
        const st = await stat(path);
        if (!st.isFile()) continue;
        const signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
        if (this.quarantine.isMarked(path, signature)) continue;
        const known = this.models.get(path);
        if (known !== undefined && known.size_bytes === st.size && known.mtime_ms === Math.floor(st.mtimeMs) && known.ino === st.ino) {
          next.set(path, known);
          continue;
        }
        if (this.scannedOnce && known === undefined && !this.settled.has(path) && !inPlaceSet.has(path) && now - st.mtimeMs < SETTLE_MS) continue;
        this.settled.delete(path);
        // What was verified at this path before (this run, or the persisted cache across a restart).
        const cached = this.cache.verified(path);
        const before: VerifiedCopy | undefined = known !== undefined ? { sha256: known.sha256, size: known.size_bytes, ino: known.ino } : cached !== undefined ? { sha256: cached.sha256, size: cached.size, ino: cached.ino } : undefined;
        const model = await this.describe(path, name, st.size, st.mtimeMs, st.ino);
        const verdict = await judgeCopy(path, { sha256: model.sha256, size: model.size_bytes, ino: st.ino, min_file_bytes: model.min_file_bytes }, before);
        if (verdict.kind === "ok") {
          next.set(path, model);
          continue;
        }
        if (verdict.kind === "incomplete") {
          incomplete.add(path);
          if (!this.warnedIncomplete.has(`${path}:${st.size}`)) this.log.warn({ file: name, reason: verdict.reason }, "model file incomplete; not served until it is whole");
          this.warnedIncomplete.add(`${path}:${st.size}`);
          continue;
        }
        if (inPlaceSet.has(path)) {
          this.log.warn({ path, reason: verdict.reason }, "model used in place changed after it was verified; not served (the file is left where it is)");
          continue;
        }
        const copy = await this.quarantine.quarantine(path, { file_name: name, expected_sha256: verdict.expected, found_sha256: model.sha256, reason: verdict.reason }, signature);
        this.emit("quarantined", path, copy);
      } catch (error) {
        this.log.warn({ err: error, path }, "cannot read model file");
      }
    }
    const before = [...this.models.values()].map((m) => `${m.path}:${m.sha256}`).sort().join("|");
    const after = [...next.values()].map((m) => `${m.path}:${m.sha256}`).sort().join("|");
    this.models = next;
    this.scannedOnce = true;
    this.cache.forgetExcept(new Set([...next.keys(), ...incomplete]));
    // A full disk fails every scan's write (every catalog_poll_ms): warn once per streak, not every 2 s.
    await this.cache.save().then(
      () => {
        if (this.cacheWriteFailing) this.log.info("catalog cache written again");
        this.cacheWriteFailing = false;
      },
      (error: unknown) => {
        if (!this.cacheWriteFailing) this.log.warn({ err: error }, "cannot write catalog cache (retried at every scan, not logged again until it works); models are hashed again after a restart");
        this.cacheWriteFailing = true;
      },
    );
    if (before !== after) {
      this.log.info({ models: this.list().map((m) => ({ file: m.file_name, sha256: m.sha256 })) }, "model catalog changed");
      this.emit("changed");
    }
  }

  private async describe(path: string, fileName: string, size: number, mtimeMs: number, ino: number): Promise<CatalogModel> {
    let entry = this.cache.get(path, size, mtimeMs);
    if (entry !== undefined && entry.ino !== undefined && entry.ino !== ino) entry = undefined;
    if (entry === undefined) {
      const started = performance.now();
      const adopted = this.adopted.get(path);
      this.adopted.delete(path);
      const known = adopted !== undefined && adopted.size === size && adopted.mtimeMs === mtimeMs && adopted.ino === ino ? adopted.sha256 : undefined;
      const sha256 = known ?? (await fileSha256(path));
      let metadata = null;
      let metadataError: string | undefined;
      try {
        metadata = await readGgufModelMetadata(path);
      } catch (error) {
        metadataError = error instanceof Error ? error.message : String(error);
      }
      entry = { size, mtime_ms: mtimeMs, ino, sha256, metadata, ...(metadataError !== undefined ? { metadata_error: metadataError } : {}) };
      this.cache.set(path, entry);
      this.log.info({ file: fileName, sha256, size_bytes: size, ms: Math.round(performance.now() - started) }, "model hashed");
    }
    if (entry.metadata !== null && (entry.metadata.workloads === undefined || entry.metadata.fill_in_middle === undefined)) {
      // Cached before workloads (or fill-in-the-middle tokens) were read: the header (not the hash) is read again, once.
      entry = { ...entry, metadata: await readGgufModelMetadata(path).catch(() => entry?.metadata ?? null) };
      this.cache.set(path, entry);
    }
    const model: CatalogModel = { path, file_name: fileName, size_bytes: size, mtime_ms: Math.floor(mtimeMs), ino, sha256: entry.sha256 };
    if (entry.metadata?.min_file_bytes !== undefined) model.min_file_bytes = entry.metadata.min_file_bytes;
    if (entry.metadata !== null) {
      const named = modelBaseName(entry.metadata.name, fileName);
      model.inventory = {
        sha256: entry.sha256,
        name: named.name,
        name_from: named.base,
        file_name: fileName,
        size_bytes: size,
        has_chat_template: entry.metadata.has_chat_template,
        ...(entry.metadata.fill_in_middle !== undefined ? { fill_in_middle: entry.metadata.fill_in_middle } : {}),
        ...(entry.metadata.workloads !== undefined ? { workloads: entry.metadata.workloads } : {}),
        mtime_ms: Math.floor(mtimeMs),
        ...(entry.metadata.architecture !== undefined ? { architecture: entry.metadata.architecture } : {}),
        ...(entry.metadata.context_length !== undefined ? { context_length: entry.metadata.context_length } : {}),
        ...(entry.metadata.parameter_count !== undefined ? { parameter_count: entry.metadata.parameter_count } : {}),
        ...(entry.metadata.quantization !== undefined ? { quantization: entry.metadata.quantization } : {}),
      };
    } else {
      model.metadata_error = entry.metadata_error ?? "unreadable GGUF header";
      this.log.warn({ file: fileName, error: model.metadata_error }, "model header unreadable; not served");
    }
    return model;
  }
}

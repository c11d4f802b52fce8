import { watch, type FSWatcher } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { SAFE_ID_PATTERN } from "../../src-shared/common/ids.js";
import { HandoffFileSchema, type HandoffFile } from "../../src-shared/worker-api/handoff.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { PoolRegistry } from "../pools/pool-registry.js";
import { ExternalPool } from "./external-pool.js";

/** How long a handoff file must be unchanged before it is read (writers need not rename atomically). */
const SETTLE_MS = 100;

interface TrackedFile {
  poolId: string;
  mtimeMs: number;
  size: number;
}

type ReadResult = { ok: true; handoff: HandoffFile } | { ok: false; poolId: string; reason: string };

const MAX_HANDOFF_BYTES = 64 * 1024;

/** Pool id for a file that failed validation: its pool_id when usable, else from the file name. */
function fallbackPoolId(fileName: string, raw: unknown): string {
  const id = (raw as { pool_id?: unknown } | null)?.pool_id;
  if (typeof id === "string" && SAFE_ID_PATTERN.test(id)) return id;
  const fromName = `handoff-${basename(fileName, ".json").replace(/[^A-Za-z0-9._-]/g, "-")}`.slice(0, 128);
  return SAFE_ID_PATTERN.test(fromName) ? fromName : "handoff-invalid";
}

/**
 * Watches the runtime dir for engine handoff files (spec §8): a new *.json attaches an external
 * engine as a pool, a changed one updates it, a removed one detaches it. fs.watch triggers a scan
 * at once; a poll (≤ 500 ms) is the fallback, so a file is picked up within 1 s either way. A
 * malformed file becomes a failed pool carrying the error (never a crash).
 */
export class HandoffWatcher {
  private readonly tracked = new Map<string, TrackedFile>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
    private readonly pools: PoolRegistry,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.scan();
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on("error", () => undefined);
    } catch (error) {
      this.log.warn({ err: error, dir: this.dir }, "fs.watch unavailable; polling only");
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.watcher?.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.scan().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  /** One scan at a time; a trigger during a scan runs one more afterwards. */
  scan(): Promise<void> {
    if (this.scanning !== undefined) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce()
      .catch((error: unknown) => this.log.error({ err: error }, "handoff scan failed"))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan && !this.stopped) {
          this.rescan = false;
          void this.scan();
        }
      });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(".json") && !n.startsWith("."));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err: error, dir: this.dir }, "cannot list runtime dir");
    }
    const seen = new Set<string>();
    for (const name of names) {
      const path = join(this.dir, name);
      seen.add(path);
      let st;
      try {
        st = await stat(path);
      } catch {
        continue; // removed between readdir and stat
      }
      const known = this.tracked.get(path);
      if (known !== undefined && known.mtimeMs === st.mtimeMs && known.size === st.size) continue;
      // A file still being written (changed in the last moment) is read on a later poll, once whole.
      if (Date.now() - st.mtimeMs < SETTLE_MS) continue;
      const started = performance.now();
      const result = await this.read(path, st.size);
      await this.apply(path, result, known, st.mtimeMs, st.size);
      const poolId = result.ok ? result.handoff.pool_id : result.poolId;
      this.metrics.handoffProcessingMs.observe({ pool_id: poolId }, performance.now() - started);
    }
    for (const [path, file] of [...this.tracked]) {
      if (seen.has(path)) continue;
      this.tracked.delete(path);
      this.log.info({ pool_id: file.poolId, file: path }, "handoff file removed; detaching pool");
      this.metrics.handoffFilesProcessed.inc({ pool_id: file.poolId, outcome: "detached" });
      await this.pools.remove(file.poolId);
    }
  }

  private async read(path: string, size: number): Promise<ReadResult> {
    const name = basename(path);
    if (size > MAX_HANDOFF_BYTES) return { ok: false, poolId: fallbackPoolId(name, null), reason: `handoff file ${name} is larger than ${MAX_HANDOFF_BYTES} bytes` };
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      return { ok: false, poolId: fallbackPoolId(name, null), reason: `invalid handoff file ${name}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const parsed = HandoffFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      return { ok: false, poolId: fallbackPoolId(name, raw), reason: `invalid handoff file ${name}: ${issues}` };
    }
    return { ok: true, handoff: parsed.data };
  }

  private async apply(path: string, result: ReadResult, known: TrackedFile | undefined, mtimeMs: number, size: number): Promise<void> {
    const poolId = result.ok ? result.handoff.pool_id : result.poolId;
    // The file now names another pool: detach the old one first.
    if (known !== undefined && known.poolId !== poolId) {
      await this.pools.remove(known.poolId);
      this.tracked.delete(path);
    }
    const existing = this.pools.get(poolId);
    if (existing !== undefined && !(existing instanceof ExternalPool && existing.filePath === path)) {
      this.log.error({ pool_id: poolId, file: path }, "handoff file names a pool that already exists; ignored");
      this.metrics.handoffFilesProcessed.inc({ pool_id: poolId, outcome: "conflict" });
      this.tracked.set(path, { poolId: `${poolId}#conflict`, mtimeMs, size });
      return;
    }
    const handoff = result.ok ? result.handoff : undefined;
    const reason = result.ok ? undefined : result.reason;
    if (reason !== undefined) this.log.error({ pool_id: poolId, file: path, error: reason }, "malformed handoff file");
    if (existing instanceof ExternalPool) {
      existing.update(handoff, reason);
      this.metrics.handoffFilesProcessed.inc({ pool_id: poolId, outcome: result.ok ? "updated" : "invalid" });
    } else {
      this.pools.add(new ExternalPool(poolId, path, handoff, reason, this.metrics, this.log.child({ pool_id: poolId })));
      this.metrics.handoffFilesProcessed.inc({ pool_id: poolId, outcome: result.ok ? "attached" : "invalid" });
      if (handoff !== undefined) this.log.info({ pool_id: poolId, url: handoff.url, engine: handoff.engine, file: path }, "external engine attached");
    }
    this.tracked.set(path, { poolId, mtimeMs, size });
  }
}

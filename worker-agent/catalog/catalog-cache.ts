import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { Sha256HexSchema } from "../../src-shared/models/sha256.js";
import { WorkloadSchema } from "../../src-shared/tasks/task-request.js";

// sha256 of a multi-GB file takes seconds, so it is computed once and cached by (path, size, mtime).
// A changed size or mtime means other bytes: hash again, and compare with the verified entry
// (kept with its inode) to tell a replaced file from one changed in place (copy-check.ts).

const CachedMetadataSchema = z.object({
  name: z.string().optional(),
  architecture: z.string().optional(),
  context_length: z.int().optional(),
  parameter_count: z.int().optional(),
  quantization: z.string().optional(),
  has_chat_template: z.boolean(),
  /** Absent in caches written before it was read: the header is read again (model-catalog.ts). */
  fill_in_middle: z.boolean().optional(),
  /** Absent in caches written before workloads were read: the header is read again (model-catalog.ts). */
  workloads: z.array(WorkloadSchema).optional(),
  min_file_bytes: z.int().min(0).optional(),
});

const CacheEntrySchema = z.object({
  size: z.int().min(0),
  mtime_ms: z.number().min(0),
  /** The file's inode: the same inode with other bytes was changed in place (not replaced by a rename). */
  ino: z.number().min(0).optional(),
  sha256: Sha256HexSchema,
  metadata: CachedMetadataSchema.nullable(),
  metadata_error: z.string().optional(),
});
export type CatalogCacheEntry = z.infer<typeof CacheEntrySchema>;

const CacheFileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), CacheEntrySchema) });

export class CatalogCache {
  private entries = new Map<string, CatalogCacheEntry>();
  private dirty = false;

  constructor(private readonly path: string) {}

  /** A missing or corrupt cache file just means hashing again. */
  async load(): Promise<void> {
    try {
      const parsed = CacheFileSchema.safeParse(JSON.parse(await readFile(this.path, "utf8")));
      if (parsed.success) this.entries = new Map(Object.entries(parsed.data.entries));
    } catch {
      this.entries = new Map();
    }
  }

  get(path: string, size: number, mtimeMs: number): CatalogCacheEntry | undefined {
    const entry = this.entries.get(path);
    return entry !== undefined && entry.size === size && entry.mtime_ms === mtimeMs ? entry : undefined;
  }

  /** The last verified entry for the path, whatever the file looks like now (to notice a change under it). */
  verified(path: string): CatalogCacheEntry | undefined {
    return this.entries.get(path);
  }

  set(path: string, entry: CatalogCacheEntry): void {
    this.entries.set(path, entry);
    this.dirty = true;
  }

  forgetExcept(paths: ReadonlySet<string>): void {
    for (const key of [...this.entries.keys()]) {
      if (!paths.has(key)) {
        this.entries.delete(key);
        this.dirty = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
      await rename(tmp, this.path);
    } catch (error) {
      // A write cut short by a full disk leaves a partial file holding the space the next one needs.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
    this.dirty = false;
  }
}

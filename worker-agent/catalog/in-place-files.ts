import { readFile, realpath, rename, stat, writeFile } from "node:fs/promises";
import { basename, isAbsolute } from "node:path";
import { z } from "zod";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { InPlaceModelResponse } from "../../src-shared/worker-api/in-place-model.js";
import { readGgufModelMetadata } from "./gguf-metadata.js";

/** An in-place file's name in the catalog: Ollama's blobs (`sha256-<hex>`) get a `.gguf` suffix. */
export function inPlaceFileName(path: string): string {
  const name = basename(path);
  return name.toLowerCase().endsWith(".gguf") ? name : `${name}.gguf`;
}

const Persisted = z.object({ files: z.array(z.string()) });

/**
 * Model files served from where they are (another tool's folder), outside the models dir: never
 * copied, renamed, quarantined or deleted by the agent. Kept in `<data dir>/in-place-models.json`
 * so they are served again after a restart.
 */
export class InPlaceFiles {
  private files: string[] = [];

  constructor(private readonly statePath: string) {}

  async load(): Promise<void> {
    const text = await readFile(this.statePath, "utf8").catch(() => null);
    if (text === null) return;
    const parsed = Persisted.safeParse(JSON.parse(text));
    this.files = parsed.success ? parsed.data.files : [];
  }

  list(): readonly string[] {
    return this.files;
  }

  has(path: string): boolean {
    return this.files.includes(path);
  }

  /** Adds a file after checking it is a readable GGUF (so nothing else can ever be served as a model). */
  async add(path: string): Promise<InPlaceModelResponse> {
    if (!isAbsolute(path)) throw new OrchError("INVALID_PARAMS", `path must be absolute: ${path}`);
    const real = await realpath(path).catch(() => null);
    const st = real === null ? null : await stat(real).catch(() => null);
    if (real === null || st === null || !st.isFile()) throw new OrchError("INVALID_PARAMS", `${path} is not a file on this node`);
    if (!real.toLowerCase().endsWith(".gguf") && !/\/blobs\/sha256-[0-9a-f]{64}$/.test(real)) throw new OrchError("INVALID_PARAMS", `${path} is not a *.gguf file (or an Ollama model blob)`);
    try {
      await readGgufModelMetadata(real);
    } catch (error) {
      throw new OrchError("INVALID_PARAMS", `${path} is not a readable GGUF model: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!this.files.includes(real)) {
      this.files.push(real);
      await this.save();
    }
    return { path: real, file_name: inPlaceFileName(real), size_bytes: st.size };
  }

  async remove(paths: ReadonlySet<string>): Promise<void> {
    const before = this.files.length;
    this.files = this.files.filter((f) => !paths.has(f));
    if (this.files.length !== before) await this.save();
  }

  private async save(): Promise<void> {
    const tmp = `${this.statePath}.tmp`;
    await writeFile(tmp, JSON.stringify({ files: this.files }, null, 2));
    await rename(tmp, this.statePath);
  }
}

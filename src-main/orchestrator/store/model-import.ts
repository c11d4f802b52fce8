import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { basename, isAbsolute } from "node:path";
import type { StoreModel } from "../../../src-shared/catalog/store-model.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { STAGED_FILE_NAME_PATTERN } from "../../../src-shared/staging/model-pull.js";
import { ingestGguf, type Ingested } from "./gguf-ingest.js";
import type { ModelStore } from "./model-store.js";

/**
 * A plain GGUF file name (STAGED_FILE_NAME_PATTERN) for a model that came from a path, a URL or a name
 * someone gave: the last path segment, other characters than A-Z a-z 0-9 . _ - as "-", at most 200
 * characters before ".gguf"; "model.gguf" when nothing usable is left. Never a path.
 */
export function storeFileName(from: string): string {
  const stem = basename(from)
    .replace(/\.gguf$/i, "")
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 200);
  const name = `${/[A-Za-z0-9]/.test(stem) ? stem : "model"}.gguf`;
  return STAGED_FILE_NAME_PATTERN.test(name) ? name : "model.gguf";
}

export function storeModelOf(ingested: Ingested, fileName: string, origin: StoreModel["origin"], source: string | null): StoreModel {
  const h = ingested.header;
  return { sha256: ingested.sha256, file_name: fileName, size_bytes: ingested.size_bytes, gguf_name: h.name?.trim() || null, architecture: h.architecture, context_length: h.contextLength, has_chat_template: h.hasChatTemplate, origin, source, added_at_ms: Date.now() };
}

/** Ingests a stream into a fresh part of the store; the part is removed whatever goes wrong. */
async function ingestInto(store: ModelStore, source: AsyncIterable<Uint8Array>): Promise<{ ingested: Ingested; part: string }> {
  const part = store.importPartPath();
  try {
    return { ingested: await ingestGguf(source, part), part };
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
}

/**
 * The file's bytes; a read error (permission denied for the orchestrator's user, an I/O error) is the
 * caller's bad path, not an internal error: it answered 500 "internal error" before.
 */
export async function* hostFile(path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OrchError("INVALID_PARAMS", `cannot read ${path} on the orchestrator host: ${code ?? (error instanceof Error ? error.message : String(error))}${code === "EACCES" || code === "EPERM" ? " (the orchestrator's user may not read it)" : ""}`);
  }
}

/** POST /v2/catalog/import: copies a GGUF from a path on the orchestrator host (validated first, hashed while copied). */
export async function importFromPath(store: ModelStore, path: string, fileName?: string): Promise<StoreModel> {
  if (!isAbsolute(path)) throw new OrchError("INVALID_PARAMS", "path must be absolute (a file on the orchestrator host)");
  const st = await stat(path).catch(() => null);
  if (st === null) throw new OrchError("MODEL_NOT_FOUND", `no file at ${path} on the orchestrator host`);
  // /dev/zero, a FIFO or a folder exists: say what it is rather than that it is missing.
  if (!st.isFile()) throw new OrchError("INVALID_PARAMS", `${path} on the orchestrator host is ${st.isDirectory() ? "a folder" : "a device, pipe or socket"}, not a regular file; give the path of a .gguf file`, { details: { reason: "not_a_regular_file" } });
  const { ingested, part } = await ingestInto(store, hostFile(path));
  return store.add(storeModelOf(ingested, storeFileName(fileName ?? path), "import", path), { part });
}

/** PUT /v2/catalog/import: the request body is the file, streamed (never buffered whole). */
export async function importUpload(store: ModelStore, body: AsyncIterable<Uint8Array>, fileName: string): Promise<StoreModel> {
  const { ingested, part } = await ingestInto(store, body);
  return store.add(storeModelOf(ingested, storeFileName(fileName), "upload", null), { part });
}

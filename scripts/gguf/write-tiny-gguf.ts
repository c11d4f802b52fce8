/** Writes a generated model to disk atomically (temp file in the same directory, then rename). */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { makeTinyGguf, type TinyGgufOptions } from "./tiny-llama-model.js";

export interface WrittenModel {
  path: string;
  bytes: number;
  sha256: string;
}

export const sha256Hex = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/**
 * Writes `data` to `path` via a unique temp file + rename, so a reader never sees a partial file and an
 * existing file that another process has mmapped is replaced (new inode) rather than rewritten in place.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<WrittenModel> {
  const data = makeTinyGguf(options);
  const absolute = resolve(path);
  await writeFileAtomic(absolute, data);
  return { path: absolute, bytes: data.length, sha256: sha256Hex(data) };
}

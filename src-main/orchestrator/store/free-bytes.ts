import { statfs } from "node:fs/promises";

/** Bytes an unprivileged process may still write in `dir` (the store's uploads and hub pulls check it first). */
export async function freeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

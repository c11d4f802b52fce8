import { statfs } from "node:fs/promises";

/**
 * Bytes an unprivileged process may still write in `dir`. LLORCH_TEST_FREE_DISK_BYTES overrides the
 * answer: a test hook, since a test cannot fill a real disk to prove the refusal.
 */
export async function freeDiskBytes(dir: string): Promise<number> {
  const override = process.env.LLORCH_TEST_FREE_DISK_BYTES;
  if (override !== undefined && /^\d+$/.test(override)) return Number(override);
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

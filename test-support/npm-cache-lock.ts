// One npm install at a time into the shared npm cache, across the test forks. Two packaging test files
// filling a cold cache at once lost one's registry metadata (its offline install then failed ENOTCACHED).
import { open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive } from "./process-alive.js";

const LOCK = join(tmpdir(), "llorch-npm-cache.lock");

/** Runs `work` holding the lock (waits at most `waitMs` for it; a lock whose holder died is taken over). */
export async function withNpmCacheLock<T>(work: () => Promise<T>, waitMs = 600_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(LOCK, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(LOCK, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) await rm(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`the npm cache lock ${LOCK} is held by pid ${holder} for over ${waitMs} ms`);
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { force: true });
  }
}

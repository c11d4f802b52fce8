// The WAL checkpoint thread, started by wal-checkpointer.ts. Its own connection to the database copies
// the WAL into the database file and syncs it, so the main thread's commits never do (the main
// connection runs with wal_autocheckpoint = 0 while this thread is up). Loads no zod or pino: the
// thread stays a connection and a timer.
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";
import { WalIndexHeader } from "./wal-index-header.js";
import { isCheckpointStopRequest, parseCheckpointThreadSettings, type CheckpointMode, type CheckpointThreadMessage } from "./wal-checkpoint-messages.js";

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

const port = parentPort;
if (port === null) throw new Error("wal-checkpoint-thread.js runs as a worker thread (wal-checkpointer.ts starts it)");
const settings = parseCheckpointThreadSettings(workerData);

function send(message: CheckpointThreadMessage): void {
  port?.postMessage(message);
}

function start(): void {
  if (settings === null) {
    send({ type: "failed", message: "the checkpoint thread was started without valid settings" });
    port?.close();
    return;
  }
  let db: InstanceType<typeof Database>;
  try {
    // The owner created the file; a missing one means it moved, and a new empty database is no help.
    if (!existsSync(settings.path)) throw new Error("no such file");
    db = new Database(settings.path);
    // Never wait for a lock: a RESTART that waited would hold the write lock and stall the main thread's
    // commits. A busy checkpoint is simply tried again on a later tick.
    db.pragma("busy_timeout = 0");
  } catch (err) {
    send({ type: "failed", message: `cannot open ${settings.path}: ${(err as Error).message}` });
    port?.close();
    return;
  }
  const dataVersion = db.prepare<[]>("PRAGMA data_version");
  const statements: Record<CheckpointMode, Database.Statement<[]>> = {
    passive: db.prepare<[]>("PRAGMA wal_checkpoint(PASSIVE)"),
    restart: db.prepare<[]>("PRAGMA wal_checkpoint(RESTART)"),
  };
  const walIndex = new WalIndexHeader(settings.path);
  let seenVersion = -1;
  let lastGeneration: number | null = null;
  let lastLog = 0;
  let lastCheckpointed = 0;

  const checkpoint = (mode: CheckpointMode): CheckpointRow => {
    const generation = walIndex.generation();
    const t0 = performance.now();
    const row = statements[mode].get() as CheckpointRow;
    const durationMs = performance.now() - t0;
    // A WAL that started over since the last call (a writer restarts it once all of it is in the
    // database) counts its frames from zero again.
    const restarted = generation !== lastGeneration || row.log < lastLog || row.checkpointed < lastCheckpointed;
    const copied = Math.max(0, row.checkpointed - (restarted ? 0 : lastCheckpointed));
    lastGeneration = generation;
    lastLog = row.log;
    lastCheckpointed = row.checkpointed;
    send({ type: "checkpoint", mode, busy: row.busy, log: row.log, checkpointed: row.checkpointed, copied, durationMs });
    return row;
  };

  const tick = (): void => {
    // Only a long WAL is checkpointed, as wal_autocheckpoint would: each complete checkpoint lets the
    // next commit start the WAL over, and that commit (on the main thread) syncs the new WAL header.
    // Checkpointing a short WAL on every tick would move syncs onto the main thread, not off it.
    const frames = walIndex.frames();
    if (frames !== null && frames < settings.checkpointAfterFrames) return;
    // data_version changes only when another connection (the main one) committed since the last look:
    // a WAL already copied is not checkpointed again.
    const version = (dataVersion.get() as { data_version: number }).data_version;
    if (version === seenVersion) return;
    seenVersion = version;
    let passive = checkpoint("passive");
    // Under steady writes the main thread appends while PASSIVE copies, so the WAL is rarely all copied
    // at a moment no commit is under way, and only then does the next commit start it over. Past the
    // bound, RESTART takes the write lock (the main thread's commits wait meanwhile), so first PASSIVE
    // again, without the lock, until little or nothing is left for RESTART to copy and sync under it.
    // RESTART never waits: busy if a commit or a read is under way, tried again next tick.
    if (passive.log < settings.restartAfterFrames) return;
    for (let i = 0; i < 3 && passive.checkpointed < passive.log; i++) passive = checkpoint("passive");
    checkpoint("restart");
  };

  const timer = setInterval(() => {
    try {
      tick();
    } catch (err) {
      stop(`checkpoint failed: ${(err as Error).message}`);
    }
  }, settings.intervalMs);

  const stop = (failure?: string): void => {
    clearInterval(timer);
    walIndex.close();
    try {
      db.close();
    } catch {
      // closing is best effort: the owner checkpoints with its own connection after this thread ends
    }
    if (failure !== undefined) send({ type: "failed", message: failure });
    port?.close();
  };

  port?.on("message", (message: unknown) => {
    if (isCheckpointStopRequest(message)) stop();
  });
  send({ type: "ready" });
}

start();

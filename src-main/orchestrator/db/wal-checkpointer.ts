import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Db } from "./database.js";
import { parseCheckpointThreadMessage, type CheckpointReport, type CheckpointStopRequest, type CheckpointThreadSettings } from "./wal-checkpoint-messages.js";

/** SQLite's default `wal_autocheckpoint` (pages), what the main connection falls back to. */
export const DEFAULT_WAL_AUTOCHECKPOINT = 1000;

/** Where checkpoints run: the thread, or (fallback, or until the thread is up) the main connection's commits. */
export type CheckpointSite = "thread" | "connection";

export interface WalCheckpointerOptions {
  /** How often the thread looks for new commits (ms). */
  readonly intervalMs?: number;
  /** WAL length (frames) from which the thread checkpoints (default: SQLite's autocheckpoint, 1,000). */
  readonly checkpointAfterFrames?: number;
  /** WAL length (frames) past which the thread also runs a RESTART checkpoint. */
  readonly restartAfterFrames?: number;
  /** The compiled thread entry; tests pass a missing file to exercise the fallback. */
  readonly threadEntry?: string;
  /** Each checkpoint the thread ran (metrics). */
  readonly onCheckpoint?: (report: CheckpointReport) => void;
  /** Checkpoints moved (back) to the main connection, and why. */
  readonly onFallback?: (reason: string) => void;
  /** How long close() waits for the thread to close its connection before terminating it (ms). */
  readonly stopTimeoutMs?: number;
}

const DEFAULT_INTERVAL_MS = 500;
const STOP_TIMEOUT_MS = 5000;

/**
 * The compiled thread file beside this module (dist/src-main/orchestrator/db/). Run from the TypeScript
 * sources (vitest), the sibling is a .ts file no worker can load; the build's copy under dist/ is used.
 */
export function defaultThreadEntry(): string {
  const sibling = fileURLToPath(new URL("./wal-checkpoint-thread.js", import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL("../../../dist/src-main/orchestrator/db/wal-checkpoint-thread.js", import.meta.url));
}

/**
 * Takes SQLite's WAL checkpoints off the event loop. With `wal_autocheckpoint` on, the commit that
 * grows the WAL past 1,000 pages also copies it into the database and syncs, inside whatever request
 * made that commit (docs/PERFORMANCE.md, "WAL checkpoints off the request path"). Here a worker
 * thread with its own connection checkpoints on a timer once the WAL holds as many frames (the copy
 * and both syncs move off the main thread; the commit that then starts the WAL over still syncs
 * the new WAL header, as with autocheckpoint), and the main connection's autocheckpoint
 * is off while (and only while) that thread is up: if the thread cannot start or dies, the main
 * connection checkpoints by itself again, so the WAL never grows without bound.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private currentSite: CheckpointSite = "connection";
  private closing = false;
  private failure: string | null = null;
  private readonly settled: Promise<CheckpointSite>;
  private settle: (site: CheckpointSite) => void = () => undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly options: WalCheckpointerOptions,
  ) {
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Starts checkpointing `path` (the file `db` is open on) from a thread; ":memory:" has no WAL and keeps SQLite's own behaviour. */
  static start(db: Db, path: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
    const checkpointer = new WalCheckpointer(db, options);
    if (path === ":memory:") checkpointer.settle("connection");
    else checkpointer.startThread(path);
    return checkpointer;
  }

  /** Where checkpoints run now. */
  get site(): CheckpointSite {
    return this.currentSite;
  }

  /** Whether the thread is alive (up, starting or stopping). */
  get threadRunning(): boolean {
    return this.worker !== null;
  }

  /** Why the thread is not checkpointing, if it failed. */
  get fallbackReason(): string | null {
    return this.failure;
  }

  /** Resolves once the thread is up ("thread") or the fallback is in place ("connection"). */
  ready(): Promise<CheckpointSite> {
    return this.settled;
  }

  /**
   * Stops the thread (it closes its connection), then checkpoints what is left with TRUNCATE on the
   * main connection, so a clean shutdown leaves an empty WAL. The caller closes `db` afterwards.
   */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (worker !== null) {
      worker.ref();
      const stop: CheckpointStopRequest = { type: "stop" };
      worker.postMessage(stop);
      const timeout = setTimeout(() => void worker.terminate(), this.options.stopTimeoutMs ?? STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timeout);
    }
    this.currentSite = "connection";
    this.settle("connection");
    if (this.db.open) this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  private startThread(path: string): void {
    const entry = this.options.threadEntry ?? defaultThreadEntry();
    if (!existsSync(entry)) {
      this.fallBack(`the checkpoint thread's file is missing (${entry})`);
      return;
    }
    const settings: CheckpointThreadSettings = {
      path,
      intervalMs: this.options.intervalMs ?? DEFAULT_INTERVAL_MS,
      checkpointAfterFrames: this.options.checkpointAfterFrames ?? DEFAULT_WAL_AUTOCHECKPOINT,
      restartAfterFrames: this.options.restartAfterFrames ?? 4 * DEFAULT_WAL_AUTOCHECKPOINT,
    };
    let worker: Worker;
    try {
      // A small heap: the thread holds a connection, a timer and three statements.
      worker = new Worker(entry, { workerData: settings, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    } catch (err) {
      this.fallBack(`the checkpoint thread cannot start: ${(err as Error).message}`);
      return;
    }
    // Referenced only while something waits on the thread (start-up, close): otherwise it never keeps
    // the process alive by itself (an orchestrator that is never closed still exits).
    this.worker = worker;
    let reason: string | null = null;
    this.exited = new Promise((resolve) => {
      worker.once("exit", (code) => {
        this.worker = null;
        if (!this.closing) this.fallBack(reason ?? `the checkpoint thread exited (code ${code})`);
        resolve();
      });
    });
    worker.on("error", (err) => {
      reason = `the checkpoint thread failed: ${err.message}`;
    });
    worker.on("message", (raw: unknown) => {
      const message = parseCheckpointThreadMessage(raw);
      if (message === null) {
        reason = "the checkpoint thread sent a message this build does not know";
        void worker.terminate();
        return;
      }
      if (message.type === "ready") {
        if (this.closing || !this.db.open) return;
        this.db.pragma("wal_autocheckpoint = 0");
        worker.unref();
        this.currentSite = "thread";
        this.settle("thread");
      } else if (message.type === "failed") {
        reason = message.message;
      } else {
        this.options.onCheckpoint?.(message);
      }
    });
  }

  /** Checkpoints go back to the main connection's commits (SQLite's default). */
  private fallBack(reason: string): void {
    this.failure = reason;
    this.currentSite = "connection";
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_WAL_AUTOCHECKPOINT}`);
    this.options.onFallback?.(reason);
    this.settle("connection");
  }
}

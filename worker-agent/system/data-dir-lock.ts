import { createHash } from "node:crypto";
import { mkdirSync, realpathSync, statSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The socket in the data dir whose listener says "a worker agent runs on this data dir". */
export const WORKER_LOCK_SOCKET = "worker.lock";
/** Exit code of a start refused because another agent holds the data dir (the orchestrator's is 3 too). */
export const DATA_DIR_IN_USE_EXIT = 3;
// sun_path holds 108 bytes on Linux, 104 on macOS, with the terminating NUL.
const MAX_SOCKET_PATH = 103;

export type DataDirLockResult = { ok: true; release(): Promise<void> } | { ok: false; error: string };

/**
 * Takes the data dir for this agent, or refuses naming the agent that holds it. Two agents on one data
 * dir share the node key, the join's pending key, the catalog cache, staging `.part` files and the
 * calibration cache: each rewrites the other's files and reports the other's models as its own.
 *
 * The worker has no SQLite (the orchestrator's lock is a SQLite file lock), so the lock is a listening
 * local socket, which the kernel closes however the process dies, so a SIGKILLed agent never blocks its
 * restart (a pid file would, and a reused pid would then refuse it):
 * - on Linux an abstract socket named after the data dir's device and inode: atomic, no file, but
 *   per network namespace;
 * - everywhere but Windows, also a socket file in the data dir, which agents in other network namespaces
 *   (containers sharing a host path: a DaemonSet's surge pod) reach through the file system. A file left
 *   by a dead agent refuses connections and is replaced;
 * - on Windows a named pipe named after the data dir's path.
 * The holder answers a connection with its pid, which the refusal names.
 */
export async function lockWorkerDataDir(dataDir: string): Promise<DataDirLockResult> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const real = realpathSync(dataDir);
  const hashed = (text: string) => createHash("sha256").update(text).digest("hex");
  // Each name with what to use when it cannot be a socket at all (a data dir on a file system without
  // socket files: some FUSE, 9p and Windows-drive mounts): nothing on Linux, where the abstract one
  // suffices, a socket in the temp dir elsewhere. Such a failure must never refuse the start.
  const names: { name: string; fallback?: string }[] = [];
  const inTmp = join(tmpdir(), `llama-orch-worker-${hashed(real).slice(0, 24)}.lock`);
  if (process.platform === "win32") {
    names.push({ name: `\\\\.\\pipe\\llama-orch-worker-${hashed(real.toLowerCase()).slice(0, 32)}` });
  } else {
    const linux = process.platform === "linux";
    if (linux) {
      const st = statSync(real);
      names.push({ name: `\0llama-orch-worker/${st.dev}:${st.ino}` });
    }
    const inDir = join(real, WORKER_LOCK_SOCKET);
    if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) names.push(linux ? { name: inDir } : { name: inDir, fallback: inTmp });
    else if (!linux) names.push({ name: inTmp });
  }
  const servers: Server[] = [];
  const releaseAll = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  for (const { name, fallback } of names) {
    let taken = await listenOrFindHolder(name, name.startsWith("/"));
    if (!taken.ok && taken.unusable) {
      if (fallback === undefined) continue;
      taken = await listenOrFindHolder(fallback, true);
      if (!taken.ok && taken.unusable) continue;
    }
    if (taken.ok) {
      servers.push(taken.server);
      continue;
    }
    await releaseAll();
    const who = taken.pid !== undefined ? ` (pid ${taken.pid})` : "";
    return { ok: false, error: `the data dir ${dataDir} is in use by another running llama-orch-worker${who}; stop it first, or give this one its own data dir (--data-dir / POOL_MANAGERD_DATA_DIR)` };
  }
  return { ok: true, release: releaseAll };
}

/** `unusable`: no socket can be made there (not "taken"), so it cannot serve as a lock. */
type Attempt = { ok: true; server: Server } | { ok: false; pid: number | undefined; unusable?: true };

async function listenOrFindHolder(name: string, isFile: boolean): Promise<Attempt> {
  const first = await listen(name);
  if (first.ok || first.unusable === true) return first;
  const holder = await askHolder(name);
  if (holder.alive || !isFile) return { ok: false, pid: holder.pid };
  // A socket file nobody listens on was left by an agent that died: take its place, once. Another agent
  // starting in this same instant in the same network namespace lost the abstract socket already.
  try {
    unlinkSync(name);
  } catch {
    // gone already (the other starter took it over): listen decides
  }
  const second = await listen(name);
  if (second.ok || second.unusable === true) return second;
  return { ok: false, pid: (await askHolder(name)).pid };
}

function listen(name: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end(`${process.pid}\n`);
    });
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "EADDRINUSE" ? { ok: false, pid: undefined } : { ok: false, pid: undefined, unusable: true }));
    server.listen(name, () => {
      // The lock must never keep the agent's event loop alive on its own.
      server.unref();
      resolve({ ok: true, server });
    });
  });
}

/** Connects to the lock: alive when something answers, with the pid it wrote. Bounded by 2 s. */
function askHolder(name: string): Promise<{ alive: boolean; pid: number | undefined }> {
  return new Promise((resolve) => {
    let text = "";
    let connected = false;
    const socket = createConnection(name);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const pid = /^(\d+)\n/.exec(text)?.[1];
      resolve({ alive: connected, pid: pid !== undefined ? Number(pid) : undefined });
    };
    const timer = setTimeout(done, 2_000);
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: string) => {
      if (text.length < 64) text += chunk;
    });
    socket.on("end", done);
    socket.on("error", done);
  });
}

import type { Socket } from "node:net";
import type { SendQueueReader } from "./tcp-send-queue.js";
import { steadyNow } from "./steady-clock.js";

/**
 * The dead-peer check of every long-lived stream, swept together: one sweep per check interval serves
 * every watched socket, and the kernel's send queues (/proc/net/tcp{,6}, whose read lists every socket
 * of the network namespace: 100–400 ms of kernel time on a box with thousands) are read only for a
 * suspect, a socket that handed the kernel bytes since it was last seen with nothing outstanding.
 * A socket with bytes in Node's own buffer is judged from Node alone: its kernel buffer is full, so
 * the kernel taking bytes is the peer acknowledging them. So a cluster of idle NDJSON watches and slow
 * readers costs no /proc read, and keep-alive streams cost one read per interval, not one per tick.
 */
export interface WatchedStream {
  socket(): Socket | null;
  /** Called once when the stream has had bytes outstanding with no acknowledged progress for the limit. */
  onDead(): void;
}

interface Entry extends WatchedStream {
  limitMs: number;
  lastAcked: number;
  stuckSince: number | null;
  /** Bytes handed to the kernel when the socket was last seen with nothing outstanding. */
  cleanHanded: number;
}

interface Group {
  entries: Set<Entry>;
  timer: NodeJS.Timeout | null;
}

const groups = new Map<SendQueueReader, Map<number, Group>>();

/** Watches a stream until the returned function is called (or `onDead` fired). */
export function watchDeadPeer(stream: WatchedStream, limitMs: number, intervalMs: number, queues: SendQueueReader): () => void {
  let byInterval = groups.get(queues);
  if (byInterval === undefined) groups.set(queues, (byInterval = new Map()));
  let group = byInterval.get(intervalMs);
  if (group === undefined) byInterval.set(intervalMs, (group = { entries: new Set(), timer: null }));
  const g = group;
  const entry: Entry = { ...stream, limitMs, lastAcked: -1, stuckSince: null, cleanHanded: 0 };
  g.entries.add(entry);
  if (g.timer === null) {
    g.timer = setInterval(() => sweep(g, queues), intervalMs);
    g.timer.unref();
  }
  return () => {
    g.entries.delete(entry);
    if (g.entries.size === 0 && g.timer !== null) {
      clearInterval(g.timer);
      g.timer = null;
    }
  };
}

function sweep(group: Group, queues: SendQueueReader): void {
  // Not Date.now(): a step of the wall clock made every stream stuck at that moment look stuck for the whole step.
  const now = steadyNow();
  const dead: Entry[] = [];
  for (const e of group.entries) {
    const socket = e.socket();
    if (socket === null) continue;
    const buffered = socket.writableLength;
    const handed = socket.bytesWritten - buffered;
    // Only a suspect costs a /proc read (shared by every suspect of this sweep: the reader caches it).
    const unacked = buffered === 0 && handed !== e.cleanHanded ? (queues.unacked(socket) ?? 0) : 0;
    // Bytes the kernel took, minus those the peer has not acknowledged: what the peer really has.
    const acked = handed - unacked;
    const outstanding = buffered + unacked;
    if (outstanding === 0) e.cleanHanded = handed;
    if (outstanding === 0 || acked > e.lastAcked) {
      e.lastAcked = acked;
      e.stuckSince = outstanding === 0 ? null : now;
      continue;
    }
    e.stuckSince ??= now;
    if (now - e.stuckSince >= e.limitMs) dead.push(e);
  }
  for (const e of dead) {
    group.entries.delete(e);
    e.onDead();
  }
  if (group.entries.size === 0 && group.timer !== null) {
    clearInterval(group.timer);
    group.timer = null;
  }
}

import { readFileSync } from "node:fs";
import type { Socket } from "node:net";

/**
 * Bytes a TCP connection has sent that its peer has not acknowledged (the kernel's send queue,
 * `write_seq - snd_una`), read from Linux's /proc/net/tcp{,6}. It is how a server tells a peer that
 * vanished (cable pulled, host gone, partition: nothing is acknowledged, the kernel retransmits for
 * ~15 minutes) from one that is merely idle: Node exposes no TCP_USER_TIMEOUT or TCP_INFO.
 * Elsewhere (no /proc) it answers undefined and callers fall back to what Node itself buffers.
 */
export interface SendQueueReader {
  unacked(socket: Socket): number | undefined;
}

const CACHE_MS = 500;

/**
 * One read of a table per CACHE_MS serves every suspect of a dead-peer sweep (src-node/dead-peer-watch.ts).
 * Only the table of the socket's family is read: an IPv4 socket is listed in /proc/net/tcp alone, an
 * IPv6 one (IPv4-mapped included) in /proc/net/tcp6 alone, and each read costs every socket it lists.
 */
export function procSendQueues(now: () => number = Date.now): SendQueueReader {
  const tables = new Map<string, { table: Map<string, number> | null; readAt: number }>();
  return {
    unacked(socket) {
      if (socket.localPort === undefined || socket.remotePort === undefined || socket.remoteAddress === undefined) return undefined;
      const file = socket.remoteFamily === "IPv4" ? "/proc/net/tcp" : "/proc/net/tcp6";
      let cached = tables.get(file);
      if (cached === undefined || (cached.table !== null && now() - cached.readAt > CACHE_MS)) {
        cached = { table: readTable(file), readAt: now() };
        tables.set(file, cached);
      }
      // A table that could not be read (no /proc) is not tried again.
      return cached.table?.get(key(socket.localPort, socket.remotePort, v4Of(socket.remoteAddress)));
    },
  };
}

function key(localPort: number, remotePort: number, remoteV4: string | null): string {
  return `${localPort}>${remoteV4 ?? "v6"}:${remotePort}`;
}

/** The IPv4 address (also when IPv4-mapped in IPv6), or null for a pure IPv6 address (matched by ports). */
function v4Of(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] ?? null;
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) ? address : null;
}

function readTable(file: string): Map<string, number> | null {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return null;
  }
  return parseTcpTable(text);
}

/**
 * The ESTABLISHED sockets of a /proc/net/tcp{,6} text with their send queues (tx_queue), keyed as
 * `unacked` looks them up. Read by position (the kernel's fixed layout, single spaces between the
 * address, state and queue fields) and with each distinct remote address converted once: a table
 * lists every socket of the namespace (thousands under a 1,000-node fleet), and the split-by-regex
 * and per-line conversions were most of a read's user time.
 */
export function parseTcpTable(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const remotes = new Map<string, string | null>();
  let at = text.indexOf("\n") + 1; // past the header line
  while (at > 0 && at < text.length) {
    const eol = text.indexOf("\n", at);
    const end = eol < 0 ? text.length : eol;
    // "  sl: local_address rem_address st tx_queue:rx_queue ..."
    const colon = text.indexOf(": ", at);
    if (colon >= 0 && colon < end) {
      const local = colon + 2;
      const remote = text.indexOf(" ", local) + 1;
      const state = text.indexOf(" ", remote) + 1;
      if (remote > 0 && state > 0 && state + 3 < end && text.charCodeAt(state) === 48 /* 0 */ && text.charCodeAt(state + 1) === 49 /* 1 */ && text.charCodeAt(state + 2) === 32) {
        // 01 = ESTABLISHED
        const localPort = text.indexOf(":", local);
        const remotePort = text.indexOf(":", remote);
        const txEnd = text.indexOf(":", state + 3);
        if (localPort > 0 && localPort < remote && remotePort > 0 && remotePort < state && txEnd > 0 && txEnd < end) {
          const remoteHex = text.slice(remote, remotePort);
          let v4 = remotes.get(remoteHex);
          if (v4 === undefined && !remotes.has(remoteHex)) remotes.set(remoteHex, (v4 = hexV4(remoteHex)));
          const tx = Number.parseInt(text.slice(state + 3, txEnd), 16);
          out.set(key(Number.parseInt(text.slice(localPort + 1, remote - 1), 16), Number.parseInt(text.slice(remotePort + 1, state - 1), 16), v4 ?? null), tx);
        }
      }
    }
    at = eol < 0 ? text.length : eol + 1;
  }
  return out;
}

/** /proc prints addresses as host-order 32-bit words: "0100007F" is 127.0.0.1. */
function hexV4(hex: string): string | null {
  const word = (h: string) => [6, 4, 2, 0].map((i) => Number.parseInt(h.slice(i, i + 2), 16)).join(".");
  if (hex.length === 8) return word(hex);
  // IPv4-mapped IPv6: ::ffff:a.b.c.d = words 0, 0, 0xffff0000 (host order), then the address.
  if (hex.length === 32 && /^0{16}FFFF0000/i.test(hex)) return word(hex.slice(24));
  return null;
}

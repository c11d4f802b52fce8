import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";

// SQLite's wal-index header (the first 96 bytes of `<db>-shm`: two copies of a 48-byte header, native
// byte order; https://www.sqlite.org/walformat.html §2.1). Its mxFrame is how many frames the WAL
// holds: what the checkpoint thread reads to checkpoint only once the WAL is long (as
// wal_autocheckpoint would), without touching the database.
const HEADER_BYTES = 48;
const WAL_INDEX_VERSION = 3007000;
const MX_FRAME_OFFSET = 16;
const IS_INIT_OFFSET = 12;
const SALT1_OFFSET = 32;

/** Reads the WAL's frame count and generation from a database's -shm file; null when it cannot be read or looks wrong. */
export class WalIndexHeader {
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(2 * HEADER_BYTES);
  private readonly littleEndian = endianness() === "LE";

  constructor(private readonly dbPath: string) {}

  /** Frames in the WAL now, or null (no -shm file, a header being rewritten this instant, another format). */
  frames(): number | null {
    return this.read() ? this.u32(MX_FRAME_OFFSET) : null;
  }

  /** The WAL's salt-1, which changes each time the WAL starts over; null when unreadable. */
  generation(): number | null {
    return this.read() ? this.u32(SALT1_OFFSET) : null;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private u32(offset: number): number {
    return this.littleEndian ? this.buf.readUInt32LE(offset) : this.buf.readUInt32BE(offset);
  }

  private read(): boolean {
    try {
      this.fd ??= openSync(`${this.dbPath}-shm`, "r");
      if (readSync(this.fd, this.buf, 0, this.buf.length, 0) !== this.buf.length) return false;
    } catch {
      return false;
    }
    // SQLite writes the two copies one after the other; readers trust them only when they agree.
    if (this.buf.compare(this.buf, 0, HEADER_BYTES, HEADER_BYTES, 2 * HEADER_BYTES) !== 0) return false;
    return this.u32(0) === WAL_INDEX_VERSION && this.buf[IS_INIT_OFFSET] === 1;
  }
}

import type { AuditLog } from "../db/audit-log.js";

const MINUTE_MS = 60_000;
const MAX_FINGERPRINTS = 5;
// Distinct (address, minute) buckets held between flushes; beyond it failures only count in "other".
const MAX_BUCKETS = 10_000;

interface Bucket {
  address: string;
  minute: number;
  count: number;
  codes: Set<string>;
  fingerprints: Set<string>;
  lastTarget: string;
  lastAtMs: number;
  rowId: number | null;
  dirty: boolean;
}

/**
 * Failed authentications go to the audit table as one row per client address and minute, with a
 * count, rather than a row per request: a flood of bad requests costs a few rows, not megabytes.
 * Buckets are kept in memory and written every `flushMs` (and at close).
 */
export class AuthFailureAudit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: NodeJS.Timeout;
  private lastPruneMs = 0;

  constructor(
    private readonly audit: AuditLog,
    flushMs = 5_000,
    private readonly now: () => number = Date.now,
    /** A flush that could not be written (a full disk, say): the counts stay for the next flush. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
    audit.prune(this.now());
  }

  record(address: string, code: string, target: string, presentedFp6: string | null): void {
    const now = this.now();
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const overflow = this.buckets.size >= MAX_BUCKETS && !this.buckets.has(`${address}|${minute}`);
    const key = overflow ? `other|${minute}` : `${address}|${minute}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { address: overflow ? "other" : address, minute, count: 0, codes: new Set(), fingerprints: new Set(), lastTarget: "", lastAtMs: now, rowId: null, dirty: true };
      this.buckets.set(key, bucket);
    }
    bucket.count++;
    bucket.codes.add(code);
    if (presentedFp6 !== null && bucket.fingerprints.size < MAX_FINGERPRINTS) bucket.fingerprints.add(presentedFp6);
    bucket.lastTarget = target;
    bucket.lastAtMs = now;
    bucket.dirty = true;
  }

  /** Writes changed buckets, forgets those of past minutes, prunes the table about once a minute. */
  flush(): void {
    const now = this.now();
    const currentMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const dirty = [...this.buckets.values()].filter((b) => b.dirty);
    const rowIds = dirty.map((b) => b.rowId);
    try {
      if (dirty.length > 0) this.audit.batch(() => dirty.forEach((b) => this.write(b)));
      if (now - this.lastPruneMs >= MINUTE_MS) {
        this.lastPruneMs = now;
        this.audit.prune(now);
      }
    } catch (err) {
      // Rolled back: rows this batch inserted do not exist, so those buckets insert again next time.
      dirty.forEach((b, i) => {
        b.rowId = rowIds[i] ?? null;
        b.dirty = true;
      });
      this.onError(err);
    }
    for (const [key, bucket] of this.buckets) if (bucket.minute < currentMinute) this.buckets.delete(key);
  }

  private write(bucket: Bucket): void {
    const details = { count: bucket.count, minute_start_ms: bucket.minute, codes: [...bucket.codes], presented_fp6: [...bucket.fingerprints] };
    const target = `${bucket.count} failed authentication(s); last ${bucket.lastTarget}`;
    if (bucket.rowId === null) bucket.rowId = this.audit.record({ at_ms: bucket.lastAtMs, identity: `client:${bucket.address}`, action: "auth_failed", target, outcome: "denied", details });
    else this.audit.update(bucket.rowId, bucket.lastAtMs, target, details);
    bucket.dirty = false;
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { QuarantinedCopy } from "../../src-shared/models/quarantined-copy.js";
import type { Logger } from "../logging/logger.js";

const KEEP = 64;

/**
 * Moves corrupt copies aside to `<models dir>/.quarantine/` (a dot folder the scan never reads) and
 * remembers the most recent ones for heartbeats. When the move fails (read-only folder) the file is
 * marked instead: skipped while its size and mtime stay as they were.
 */
export class CopyQuarantine {
  private readonly copies: QuarantinedCopy[] = [];
  private readonly marked = new Map<string, string>();

  constructor(
    private readonly modelsDir: string,
    private readonly log: Logger,
  ) {}

  list(): QuarantinedCopy[] {
    return [...this.copies];
  }

  /** A marked file that has not changed since it was marked. */
  isMarked(path: string, signature: string): boolean {
    return this.marked.get(path) === signature;
  }

  async quarantine(path: string, copy: Omit<QuarantinedCopy, "moved_to" | "at_ms">, signature: string): Promise<QuarantinedCopy> {
    const dir = join(this.modelsDir, ".quarantine");
    const target = join(dir, `${copy.file_name}.${Date.now()}`);
    let movedTo: string | null = target;
    try {
      await mkdir(dir, { recursive: true });
      await rename(path, target);
      this.marked.delete(path);
    } catch (error) {
      movedTo = null;
      this.marked.set(path, signature);
      this.log.warn({ err: error, path }, "cannot move a corrupt model copy aside; marked instead");
    }
    const entry: QuarantinedCopy = { ...copy, moved_to: movedTo, at_ms: Date.now() };
    this.copies.push(entry);
    if (this.copies.length > KEEP) this.copies.shift();
    this.log.warn({ file: copy.file_name, expected_sha256: copy.expected_sha256, found_sha256: copy.found_sha256, reason: copy.reason, moved_to: movedTo }, "model copy quarantined: not served, not reported");
    return entry;
  }
}

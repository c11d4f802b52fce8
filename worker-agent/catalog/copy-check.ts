import { fileSha256 } from "./file-sha256.js";

/** What was verified at a path before: the hash, the size and the inode it had then. */
export interface VerifiedCopy {
  sha256: string;
  size: number;
  ino?: number | undefined;
}

/** The file as just described (hashed, header read). */
export interface DescribedCopy {
  sha256: string;
  size: number;
  ino: number;
  min_file_bytes?: number | undefined;
}

export type CopyVerdict = { kind: "ok" } | { kind: "incomplete"; reason: string } | { kind: "corrupt"; expected: string | null; reason: string };

/**
 * Whether a file may be served as what it hashes to. Model identity is the verified sha256, so:
 * a file shorter than its own GGUF header says is incomplete (never verified: skipped, or corrupt
 * when it had been verified); a verified file whose bytes changed in place (same inode) is corrupt,
 * unless it only grew with its verified bytes as prefix (a copy still being written). A file
 * replaced by a rename (new inode) is a new file and is judged on its own.
 */
export async function judgeCopy(path: string, now: DescribedCopy, before: VerifiedCopy | undefined): Promise<CopyVerdict> {
  const sameFile = before !== undefined && (before.ino === undefined || before.ino === now.ino);
  if (now.min_file_bytes !== undefined && now.size < now.min_file_bytes) {
    const reason = `truncated: ${now.size} bytes, its GGUF header describes at least ${now.min_file_bytes}`;
    return sameFile ? { kind: "corrupt", expected: before.sha256, reason } : { kind: "incomplete", reason };
  }
  if (!sameFile || before.sha256 === now.sha256) return { kind: "ok" };
  if (now.size > before.size && (await fileSha256(path, before.size)) === before.sha256) return { kind: "ok" };
  return { kind: "corrupt", expected: before.sha256, reason: `changed in place after it was verified (size ${before.size} → ${now.size} bytes, sha256 ${before.sha256.slice(0, 12)} → ${now.sha256.slice(0, 12)})` };
}

/**
 * Whether an error is the database (or a file write) refusing for lack of space: SQLite's SQLITE_FULL
 * (also raised when a database reaches its max_page_count) or the system's ENOSPC. Such a failure is
 * the operator's to fix (free space), answered as STORAGE_FULL, not as an internal error.
 */
export function isDiskFull(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === "SQLITE_FULL" || code === "ENOSPC";
}

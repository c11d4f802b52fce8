// A data or models folder the process cannot use says which path and why, not a Node stack trace.

interface FileError {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: "a part of the path is a file, not a folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EEXIST: "a file is in the way",
  EISDIR: "it is a folder where a file was expected",
  ENOENT: "a folder on the way does not exist",
};

const FILE_SYSCALLS: ReadonlySet<string> = new Set(["mkdir", "open", "write", "rename", "access", "stat", "scandir", "unlink", "copyfile"]);

/** The operator's message for a file-system error at start-up; undefined for any other error. */
export function fileFailureMessage(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const e = error as FileError;
  if (typeof e.syscall !== "string" || !FILE_SYSCALLS.has(e.syscall) || typeof e.path !== "string" || typeof e.code !== "string") return undefined;
  const reason = REASONS[e.code];
  if (reason === undefined) return undefined;
  return `cannot use ${e.path} (${e.syscall}: ${reason}, ${e.code}); check the path and its permissions, or choose another folder`;
}

export interface LockEntry {
  version?: string;
  link?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  [field: string]: unknown;
}
export function lockClosure(lock: { packages: Record<string, LockEntry> }, roots: string[]): { picked: Map<string, LockEntry>; problems: string[] };

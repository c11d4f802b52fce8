import type { NodeInfo } from "../nodes/node-info.js";
import type { TaskStatus } from "../tasks/task-status.js";
import type { ClusterStats, LogEntry, SnapshotBegin, SnapshotPageKind } from "./cluster-events.js";

/**
 * A page's data stays under this many characters (JSON is ASCII here but for names, so ≈ bytes),
 * unless one item alone is larger (it then gets a page of its own). 64 KiB: ~70 nodes a page, one
 * frame the browser parses in about a millisecond, and the first page of a 1,000-node snapshot
 * leaves the orchestrator before the rest is even serialised.
 */
export const SNAPSHOT_PAGE_CHARS = 64 * 1024;

/** Everything a paged snapshot carries: the small part for `snapshot_begin` and the lists for the pages. */
export interface SnapshotParts {
  begin: Omit<SnapshotBegin, "counts">;
  nodes: readonly NodeInfo[];
  tasks: readonly TaskStatus[];
  logs: readonly LogEntry[];
  stats_history: readonly ClusterStats[];
}

const KINDS: readonly SnapshotPageKind[] = ["nodes", "tasks", "logs", "stats_history"];

function sseFrame(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

/**
 * The SSE frames of a paged snapshot, produced lazily: `snapshot_begin`, then `snapshot_page`s
 * (nodes first, so the Nodes view fills while the rest arrives), then `snapshot_end`. Each item is
 * serialised once; pulling one frame at a time lets the sender yield between pages.
 */
export function* snapshotFrames(parts: SnapshotParts, maxChars: number = SNAPSHOT_PAGE_CHARS): Generator<string, void, undefined> {
  const counts = { nodes: parts.nodes.length, tasks: parts.tasks.length, logs: parts.logs.length, stats_history: parts.stats_history.length };
  yield sseFrame("snapshot_begin", JSON.stringify({ ...parts.begin, counts }));
  let page = 0;
  for (const kind of KINDS) {
    const items: readonly unknown[] = parts[kind];
    let batch: string[] = [];
    let size = 0;
    const pageFrame = () => sseFrame("snapshot_page", `{"page":${page++},"kind":"${kind}","items":[${batch.join(",")}]}`);
    for (const item of items) {
      const json = JSON.stringify(item);
      if (batch.length > 0 && size + json.length + 1 > maxChars) {
        yield pageFrame();
        batch = [];
        size = 0;
      }
      batch.push(json);
      size += json.length + 1;
    }
    if (batch.length > 0) yield pageFrame();
  }
  yield sseFrame("snapshot_end", JSON.stringify({ pages: page }));
}

import type { ClusterEvent } from "./cluster-events.js";

/** What a client of the paged feed should do after a frame: apply it, or drop its state and reconnect. */
export type FeedVerdict = "apply" | "resync";

/**
 * Checks the order of GET /v2/events?protocol=2 frames as they arrive: snapshot pages numbered
 * 0,1,2… between `snapshot_begin` and `snapshot_end` with exactly the announced item counts, and
 * node frames numbered node_seq+1, +2… after it. Anything else means a frame was lost or the
 * stream is not what the client thinks: "resync".
 */
export class FeedSequence {
  private nodeSeq: number | null = null;
  private paging: { nextPage: number; expected: Record<string, number>; received: Record<string, number> } | null = null;

  /** True between `snapshot_begin` and `snapshot_end`. */
  get inSnapshot(): boolean {
    return this.paging !== null;
  }

  accept(e: ClusterEvent): FeedVerdict {
    switch (e.event) {
      case "snapshot_begin":
        this.nodeSeq = e.data.node_seq;
        this.paging = { nextPage: 0, expected: { ...e.data.counts }, received: { nodes: 0, tasks: 0, logs: 0, stats_history: 0 } };
        return "apply";
      case "snapshot_page": {
        const p = this.paging;
        if (p === null || e.data.page !== p.nextPage) return this.lost();
        p.nextPage++;
        p.received[e.data.kind] = (p.received[e.data.kind] ?? 0) + e.data.items.length;
        return (p.received[e.data.kind] ?? 0) > (p.expected[e.data.kind] ?? 0) ? this.lost() : "apply";
      }
      case "snapshot_end": {
        const p = this.paging;
        if (p === null || e.data.pages !== p.nextPage) return this.lost();
        for (const kind of Object.keys(p.expected)) if (p.received[kind] !== p.expected[kind]) return this.lost();
        this.paging = null;
        return "apply";
      }
      case "node_delta":
        return this.next(e.data.seq);
      case "node_removed":
        return e.data.seq === undefined ? "apply" : this.next(e.data.seq);
      default:
        return "apply";
    }
  }

  private next(seq: number): FeedVerdict {
    if (this.nodeSeq === null || seq !== this.nodeSeq + 1) return this.lost();
    this.nodeSeq = seq;
    return "apply";
  }

  private lost(): FeedVerdict {
    this.nodeSeq = null;
    this.paging = null;
    return "resync";
  }
}

import type { NodeEvent as WireNodeEvent } from "../../../src-shared/dashboard/cluster-events.js";

/** One entry of a node's history, shown in the dashboard's node detail (Nomad's node events). */
export type NodeEvent = WireNodeEvent;

import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { NodeEvent } from "./node-event.js";

/** What can move a node's status: the node API, the watch connection and the liveness sweep. */
export type NodeStatusCause = "register" | "heartbeat" | "connection_lost" | "heartbeats_missed" | "heartbeat_timeout" | "credential_revoked";

/**
 * The one status transition table (Nomad's node status machine):
 *
 *   Registering ─heartbeat→ Online ⇄ Suspect ─timeout→ Offline ─register→ Registering
 *   (any status but Offline) ─credential_revoked→ Offline
 *
 * credential_revoked (an admin revoked the key the node registered with) is Offline at once from any
 * live status: the node can no longer heartbeat, and it must not get another prompt meanwhile.
 *
 * A cause missing from a row is not a transition from that status: it is ignored (a second
 * connection drop on a Suspect node) or refused by the caller (a heartbeat from an Offline node,
 * which must register again). Register is allowed from every status and starts over.
 */
export const NODE_STATUS_TRANSITIONS: Readonly<Record<NodeStatus, Partial<Record<NodeStatusCause, NodeStatus>>>> = {
  Registering: { register: "Registering", heartbeat: "Online", connection_lost: "Suspect", heartbeats_missed: "Suspect", heartbeat_timeout: "Offline", credential_revoked: "Offline" },
  Online: { register: "Registering", heartbeat: "Online", connection_lost: "Suspect", heartbeats_missed: "Suspect", heartbeat_timeout: "Offline", credential_revoked: "Offline" },
  Suspect: { register: "Registering", heartbeat: "Online", heartbeat_timeout: "Offline", credential_revoked: "Offline" },
  Offline: { register: "Registering" },
};

/** The status `cause` leads to from `from`, or null when the table has no such transition. */
export function nextNodeStatus(from: NodeStatus, cause: NodeStatusCause): NodeStatus | null {
  return NODE_STATUS_TRANSITIONS[from][cause] ?? null;
}

/** The node event a transition is recorded as. */
export function transitionEventKind(from: NodeStatus, to: NodeStatus): NodeEvent["kind"] {
  if (to === "Registering") return "registered";
  if (to === "Online") return from === "Suspect" ? "recovered" : "online";
  return to === "Suspect" ? "suspect" : "offline";
}

/** Leaving a schedulable status for Suspect or Offline: tasks streaming from the node must fail over. */
export function losesNode(from: NodeStatus, to: NodeStatus): boolean {
  return from !== to && (to === "Suspect" || to === "Offline");
}

/** One entry of a node's history, shown in the dashboard's node detail (Nomad's node events). */
export interface NodeEvent {
  at_ms: number;
  kind: "registered" | "online" | "suspect" | "offline" | "recovered" | "deregistered" | "drained" | "undrained" | "pool";
  message: string;
}

import type { Agent } from "node:https";
import { clusterAgent, clusterFetch, type FetchLike } from "../../../src-node/tls/cluster-fetch.js";

/** How one node is reached: fetch for calls, and the HTTPS agent task streams (node:http) use. */
export interface NodeConnection {
  fetch: FetchLike;
  /** Undefined when the node is reached in clear text (TLS off, or a loopback worker). */
  agent: Agent | undefined;
}

const PLAIN: NodeConnection = { fetch: globalThis.fetch, agent: undefined };

/**
 * How the orchestrator reaches each node: an https:// address over TLS trusting only the cluster CA
 * and only a certificate naming that node (so a node that moved its address, or a man in the middle,
 * cannot answer for another); an http:// address with the plain fetch (TLS off, or a loopback worker).
 */
export class NodeFetches {
  private readonly byNode = new Map<string, NodeConnection>();

  constructor(private readonly caPem: string | undefined) {}

  connection(nodeId: string, address: string): NodeConnection {
    if (this.caPem === undefined || !address.startsWith("https:")) return PLAIN;
    let c = this.byNode.get(nodeId);
    if (c === undefined) {
      const agent = clusterAgent(this.caPem, { role: "node", nodeId });
      c = { fetch: clusterFetch(this.caPem, { role: "node", nodeId }, agent), agent };
      this.byNode.set(nodeId, c);
    }
    return c;
  }

  for(nodeId: string, address: string): FetchLike {
    return this.connection(nodeId, address).fetch;
  }
}

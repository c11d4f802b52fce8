import { clusterFetch, type FetchLike } from "../../../src-node/tls/cluster-fetch.js";

/**
 * How the orchestrator reaches each node: an https:// address over TLS trusting only the cluster CA
 * and only a certificate naming that node (so a node that moved its address, or a man in the middle,
 * cannot answer for another); an http:// address with the plain fetch (TLS off, or a loopback worker).
 */
export class NodeFetches {
  private readonly byNode = new Map<string, FetchLike>();

  constructor(private readonly caPem: string | undefined) {}

  for(nodeId: string, address: string): FetchLike {
    if (this.caPem === undefined || !address.startsWith("https:")) return globalThis.fetch;
    let f = this.byNode.get(nodeId);
    if (f === undefined) {
      f = clusterFetch(this.caPem, { role: "node", nodeId });
      this.byNode.set(nodeId, f);
    }
    return f;
  }
}

import type { Agent } from "node:https";
import type { FetchLike } from "../../../src-node/tls/cluster-fetch.js";
import { StagingClient } from "./staging-client.js";
import { WorkerClient } from "./worker-client.js";

/** Where a node is and the credential it is called with. */
export interface WorkerEndpoint {
  address: string;
  token: string;
  /** How the node is reached: over TLS, trusting the cluster CA and checking the node's certificate name. */
  fetch: FetchLike;
  /** The same trust for task streams, which are read with node:http(s); undefined in clear text. */
  streamAgent?: Agent | undefined;
}

/**
 * The one factory of worker clients: every call the orchestrator makes to a worker agent (dispatch,
 * cancel, pool commands, probes, staging) goes through a client made here, for the node's current address
 * and the token it registered with.
 */
export class WorkerClients {
  constructor(private readonly endpointOf: (nodeId: string) => WorkerEndpoint | undefined) {}

  /** A client for the node, or undefined when the node is unknown. */
  forNode(nodeId: string): WorkerClient | undefined {
    const endpoint = this.endpointOf(nodeId);
    return endpoint === undefined ? undefined : new WorkerClient(endpoint.address, endpoint.token, endpoint.fetch, endpoint.streamAgent);
  }

  /** Staging calls (pulls, model removal) to the node, or undefined when the node is unknown. */
  stagingFor(nodeId: string): StagingClient | undefined {
    const endpoint = this.endpointOf(nodeId);
    return endpoint === undefined ? undefined : new StagingClient(endpoint.address, endpoint.token, endpoint.fetch);
  }
}

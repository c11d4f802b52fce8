import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { InPlaceModelResponse } from "../../../src-shared/worker-api/in-place-model.js";
import { StagingCallError } from "./staging-client.js";
import type { WorkerClients } from "./worker-clients.js";

/** Asks a node to serve a file on its machine in place; the node's refusal becomes the caller's 400. */
export async function useInPlaceOnNode(workers: WorkerClients, nodeId: string, path: string): Promise<InPlaceModelResponse> {
  const client = workers.stagingFor(nodeId);
  if (client === undefined) throw new OrchError("NODE_NOT_FOUND", `no node ${nodeId}`);
  try {
    return await client.useInPlace(path);
  } catch (error) {
    if (!(error instanceof StagingCallError)) throw error;
    if (error.status === 400) throw new OrchError("INVALID_PARAMS", `node ${nodeId} cannot serve ${path}: ${error.envelope?.message ?? error.message}`);
    throw new OrchError("NODE_UNAVAILABLE", `node ${nodeId} did not take ${path}: ${error.message}`);
  }
}

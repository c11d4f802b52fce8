import { CONTROL_PLANE_SOURCE } from "../../../src-shared/staging/staging-job.js";
import type { NodeRecord } from "../registry/node-record.js";
import { BUILTIN_OWNER } from "../registry/node-registry.js";

/**
 * The token the orchestrator presents when it calls a node (dispatch, watch, probes, pool commands)
 * or signs a staging grant for it as a source: the one the node registered with. The operator's own
 * token is used only for nodes the operator's token registered (and for the orchestrator's store as a
 * staging source): a node registered with a `worker` key whose token is not known (no registration
 * since a restart) is not called at all. Before, any such node got the operator's admin token, so a
 * `worker` key registering with `x-api-key` and its own address received the admin token within a
 * second (security adversary, 2026-11-30; node-call-token.int.test.ts).
 */
export function nodeCallToken(nodeId: string, node: Pick<NodeRecord, "credential" | "owner"> | undefined, builtinToken: string): string | undefined {
  if (nodeId === CONTROL_PLANE_SOURCE && node === undefined) return builtinToken;
  if (node === undefined) return undefined;
  if (node.credential !== undefined) return node.credential;
  return node.owner === BUILTIN_OWNER ? builtinToken : undefined;
}

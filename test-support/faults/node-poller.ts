// Polls GET /v2/nodes during a fault run and records each node's state whenever it changes, so the
// checker can judge placements against node states in time and the run can time detection.
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { History, NodeState } from "./history.js";

export interface NodePoller {
  stop(): Promise<void>;
}

// Every 50 ms: a node can be Online for only ~150 ms between two faults (back from a SIGSTOP, then its
// streams reset), and a placement in that blip was judged against the Suspect polls on either side
// (one clean-clone run: 3 placements "while Suspect" that no poll could have seen otherwise).
export function pollNodes(url: string, token: string, history: History, intervalMs = 50): NodePoller {
  const last = new Map<string, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          for (const node of NodeListResponseSchema.parse(await res.json()).nodes) {
            const state = node.status as NodeState;
            const eligible = node.eligibility === "eligible";
            // Models this node can serve now: ready pools that are not draining.
            const models = [...new Set(node.pools.filter((p) => p.ready && !p.draining && p.model !== undefined).map((p) => p.model?.name ?? ""))].sort();
            const signature = `${state}|${eligible}|${models.join(",")}`;
            if (last.get(node.node_id) === signature) continue;
            last.set(node.node_id, signature);
            history.add({ kind: "node", node: node.node_id, state, eligible, models });
          }
        }
      } catch {
        // The orchestrator is down (a fault): nothing to observe.
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

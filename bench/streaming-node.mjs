#!/usr/bin/env node
// The streaming node of bench/streaming-proxy.mjs in its own process (so the clients measuring it
// do not share its event loop): registers with the orchestrator, then prints `ready <json>`.
//   node bench/streaming-node.mjs <orchUrl> <token> <tokenIntervalMs> <slots>
import { startStreamingNode } from "./simulated-node.mjs";

const [orchUrl, token, interval, slots] = process.argv.slice(2);
const node = await startStreamingNode({ orchUrl, token, nodeId: "stream-1", poolId: "stream-1-p0", modelName: "bench-stream", slots: Number(slots), tokenIntervalMs: Number(interval) });
console.log(`ready ${JSON.stringify({ address: node.address, pool_id: node.poolId, model: node.modelName })}`);
process.on("SIGTERM", () => void node.stop().then(() => process.exit(0)));

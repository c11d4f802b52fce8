// A load generator for benchmarks only (never in product tests): an in-process HTTP server that
// speaks the worker protocol's control side — register, heartbeat, watch, pool status — for one
// pool holding one model, and whose infer endpoint holds every request open without answering.
// With `slots: 1` the first task occupies the only slot for good, so every later task queues.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

export async function startHoldingNode({ orchUrl, token, nodeId, poolId, modelName, slots = 1 }) {
  const sha256 = createHash("sha256").update(modelName).digest("hex");
  const held = new Set();
  const server = createServer((req, res) => {
    if (req.url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: nodeId }));
    if (req.url === "/v2/watch") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      held.add(res);
      return;
    }
    if (req.url?.endsWith("/infer")) {
      held.add(res); // never answered: the slot stays taken
      req.resume();
      return;
    }
    if (req.url?.endsWith("/status")) return void res.end(JSON.stringify({ pool_id: poolId, state: "ready", ready: true, draining: false, slots_total: slots, slots_free: slots, model: { sha256, name: modelName }, engine: "sim", last_error: null }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `http://127.0.0.1:${server.address().port}`;
  const model = { sha256, name: modelName, file_name: `${modelName}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const pool = { pool_id: poolId, ready: true, draining: false, slots_free: slots, slots_total: slots, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], model: { sha256, name: modelName } };
  const post = (path, body) => fetch(`${orchUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const reg = await post("/v2/nodes/register", { node_id: nodeId, machine_id: `sim-${nodeId}`, address, pools: [poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] });
  if (!reg.ok) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const beat = () => post(`/v2/nodes/${nodeId}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool], models: [model] }).catch(() => undefined);
  await beat();
  const timer = setInterval(beat, 1000);
  return {
    modelName,
    async stop() {
      clearInterval(timer);
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

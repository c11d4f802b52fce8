// One misbehaving node's heartbeat flood, run as its own process so the flood does not share the
// orchestrator's (or the test's) event loop: valid heartbeats for `nodeId` with its own key, as fast as
// `keepAlive` connections in a loop plus `fresh` loops that open a new connection for every beat can send,
// for `seconds` (and at most `max` beats), then it exits by itself.
// Usage: node heartbeat-flood.mjs <url> <token> <nodeId> <seconds> <keepAlive> <fresh> [max] [padBytes] [variant]
// `padBytes`: each beat carries that much last_error text (a huge but valid heartbeat). `variant`:
// "plain" (the same beat), "models" (its model list in every beat), "flip" (its pools' readiness and
// slots change every beat, so each one is a state change, not a mere report).
// Prints {"sent":n,"statuses":{...},"retryAfter":[...distinct],"per_s":n,"ms":n} on stdout.
import { createHash } from "node:crypto";
import { Agent, request } from "node:http";

const [url, token, nodeId] = [new URL(process.argv[2]), process.argv[3], process.argv[4]];
const [seconds, keepAlive, fresh] = [Number(process.argv[5]), Number(process.argv[6]), Number(process.argv[7])];
const max = Number(process.argv[8] ?? "1000000");
const pad = Number(process.argv[9] ?? "0");
const variant = process.argv[10] ?? "plain";
const sha256 = createHash("sha256").update("flood-model").digest("hex");
const model = { sha256, name: "flood-model", file_name: "flood-model.gguf", size_bytes: 1024, has_chat_template: false };
const bodyOf = (i) => JSON.stringify({
  timestamp: new Date().toISOString(),
  pools: [{ pool_id: `${nodeId}-p0`, ready: variant !== "flip" || i % 2 === 0, draining: false, slots_free: variant === "flip" ? i % 2 : 1, slots_total: 1, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], last_error: pad > 0 ? "x".repeat(pad) : null }],
  ...(variant === "models" ? { models: [model] } : {}),
});
const bodies = [bodyOf(0), bodyOf(1)];
const path = `/v2/nodes/${nodeId}/heartbeat`;
const statuses = {};
const retryAfter = new Set();
let sent = 0;
const until = performance.now() + seconds * 1000;

function beat(agent, i) {
  const body = bodies[i % 2];
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        if (res.headers["retry-after"] !== undefined) retryAfter.add(res.headers["retry-after"]);
        resolve();
      });
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => {
      statuses[0] = (statuses[0] ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function loop(agent) {
  while (performance.now() < until && sent < max) {
    await beat(agent, sent++);
  }
}

const started = performance.now();
const kept = new Agent({ keepAlive: true, maxSockets: keepAlive });
await Promise.all([...Array.from({ length: keepAlive }, () => loop(kept)), ...Array.from({ length: fresh }, () => loop(false))]);
kept.destroy();
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ sent, statuses, retryAfter: [...retryAfter], per_s: Math.round(sent / (ms / 1000)), ms: Math.round(ms) }));

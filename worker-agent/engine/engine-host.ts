// Engine child process: one per pool, forked by the agent with an IPC channel. It loads one model
// with node-llama-cpp and serves infer/abort requests. A native abort (e.g. a malformed GGUF) kills
// only this process; the agent's supervisor notices and restarts it.
import { ParentToEngineMessageSchema, type EngineWireMessage } from "./engine-ipc.js";
import { LlamaEngine } from "./llama-engine.js";
import { tokenFlushIntervalMs } from "./token-flush-interval.js";
import { flashAttentionOverride } from "./flash-attention.js";

const STATS_INTERVAL_MS = 2000;

// A false return from process.send() means Node queued the message (backpressure), not that it is lost.
function send(message: EngineWireMessage): void {
  if (process.connected) process.send?.(message);
}

if (process.send === undefined) {
  process.stderr.write("engine-host must be started by llama-orch-worker with an IPC channel\n");
  process.exit(2);
}

const warn = (message: string): void => void process.stderr.write(`engine-host: ${message}\n`);
const engine = new LlamaEngine(send, tokenFlushIntervalMs(process.env, warn), flashAttentionOverride(process.env, warn));
let loaded = false;

// The agent is gone (killed, crashed): never outlive it.
process.on("disconnect", () => process.exit(0));
// systemd (KillMode=mixed) and terminals signal the agent; it drains and then shuts us down itself.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);

const statsTimer = setInterval(() => {
  if (!loaded) return;
  engine
    .vramState()
    .then((vram) => send({ type: "stats", vram_total_bytes: vram.total, vram_free_bytes: vram.free }))
    .catch(() => undefined);
}, STATS_INTERVAL_MS);
statsTimer.unref();

process.on("message", (raw: unknown) => {
  const parsed = ParentToEngineMessageSchema.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`engine-host: ignoring invalid IPC message: ${parsed.error.message}\n`);
    return;
  }
  const msg = parsed.data;
  switch (msg.type) {
    case "load":
      engine
        .load(msg)
        .then(() => {
          loaded = true;
        })
        .catch((error: unknown) => send({ type: "load_failed", code: "INTERNAL", message: error instanceof Error ? error.message : String(error) }));
      return;
    case "infer":
      void engine.infer(msg);
      return;
    case "abort":
      engine.abort(msg.task_id);
      return;
    case "ping":
      send({ type: "pong", n: msg.n });
      return;
    case "shutdown":
      engine
        .dispose()
        .catch(() => undefined)
        .finally(() => process.exit(0));
      return;
  }
});

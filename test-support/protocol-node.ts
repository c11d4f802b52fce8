import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * A boundary double of one worker node for orchestrator tests that need more tasks or stranger
 * streams than real llama.cpp gives on this box: it registers with one pool holding one model,
 * heartbeats every second, keeps the `/v2/watch` stream alive with the real worker's 1 s ping (the
 * orchestrator fails a silent watch), answers pool status, and hands each `/infer` body to the test.
 */
export interface ProtocolNodeOptions {
  readonly orchUrl: string;
  readonly token: string;
  readonly nodeId: string;
  readonly modelName: string;
  readonly slots: number;
  /** Writes the worker's SSE task stream for one infer request (use `sseFrame`). */
  readonly onInfer: (res: ServerResponse, body: { task_id: string; max_tokens: number }) => void;
  /** Serve every route under this path (a worker behind a reverse proxy, e.g. "/gw/node-a") and advertise it; other paths get 404. */
  readonly basePath?: string;
  /** Sees every request first (path without basePath); returns true when it answered it (a hostile node's answers). */
  readonly onRequest?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The pool's id (default "p0"): several nodes in one test need their own. */
  readonly poolId?: string;
  /** Free VRAM its heartbeats report (default 0): a node can claim any amount. */
  readonly vramFreeBytes?: number;
}

export interface ProtocolNode {
  readonly sha256: string;
  /** Registers again and heartbeats once, as an agent does on a heartbeat's 404 (after an orchestrator restart). */
  reregister(): Promise<void>;
  stop(): Promise<void>;
}

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function startProtocolNode(o: ProtocolNodeOptions): Promise<ProtocolNode> {
  const sha256 = createHash("sha256").update(o.modelName).digest("hex");
  const watches = new Set<ServerResponse>();
  const basePath = o.basePath ?? "";
  const poolId = o.poolId ?? "p0";
  const server: Server = createServer((req, res) => {
    if (!(req.url ?? "").startsWith(`${basePath}/`)) {
      res.statusCode = 404;
      return void res.end("{}");
    }
    req.url = (req.url ?? "").slice(basePath.length);
    if (o.onRequest?.(req, res) === true) return;
    if (req.url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: o.nodeId }));
    if (req.url === "/v2/watch") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    if (req.url?.endsWith("/cancel")) return void res.writeHead(204).end();
    if (req.url?.endsWith("/infer")) {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => o.onInfer(res, JSON.parse(body) as { task_id: string; max_tokens: number }));
      return;
    }
    if (req.url?.endsWith("/status")) {
      return void res.end(JSON.stringify({ pool_id: poolId, state: "ready", ready: true, draining: false, slots_total: o.slots, slots_free: o.slots, model: { sha256, name: o.modelName }, engine: "sim", last_error: null }));
    }
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const model = { sha256, name: o.modelName, file_name: `${o.modelName}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const pool = { pool_id: poolId, ready: true, draining: false, slots_free: o.slots, slots_total: o.slots, vram_free_bytes: o.vramFreeBytes ?? 0, engine: "sim", device_mask: "cpu", models_available: [sha256], model: { sha256, name: o.modelName } };
  const post = (path: string, body: unknown) => fetch(`${o.orchUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const register = async () => {
    const reg = await post("/v2/nodes/register", { node_id: o.nodeId, machine_id: `sim-${o.nodeId}`, address: `http://127.0.0.1:${port}${basePath}`, pools: [poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] });
    if (!reg.ok) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
    await reg.body?.cancel();
  };
  const beat = () => post(`/v2/nodes/${o.nodeId}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool], models: [model] }).then((r) => r.body?.cancel(), () => undefined);
  await register();
  await beat();
  const timer = setInterval(() => {
    void beat();
    for (const res of watches) res.write(": ping\n\n");
  }, 1000);
  return {
    sha256,
    async reregister() {
      await register();
      await beat();
    },
    async stop() {
      clearInterval(timer);
      for (const res of watches) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

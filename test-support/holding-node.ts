import type { ServerResponse } from "node:http";
import { sseFrame, startProtocolNode, type ProtocolNode } from "./protocol-node.js";
import { waitFor } from "./wait-for.js";

/**
 * A simulated one-slot node that records the order of its dispatches and holds each task until the test
 * ends it, so the order in which the orchestrator dispatches is exactly the order of its infer requests.
 * Every ended task reports 2 prompt + 1 generated tokens.
 */
export class HoldingNode {
  readonly started: string[] = [];
  private readonly held = new Map<string, ServerResponse>();
  node: ProtocolNode | null = null;

  constructor(
    private readonly nodeId: string,
    private readonly model: string,
  ) {}

  async start(orchUrl: string, token: string): Promise<this> {
    this.node = await startProtocolNode({
      orchUrl, token, nodeId: this.nodeId, modelName: this.model, poolId: `${this.nodeId}-p0`, slots: 1,
      onInfer: (res, body) => {
        this.started.push(body.task_id);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        this.held.set(body.task_id, res);
        res.on("close", () => this.held.delete(body.task_id));
      },
    });
    return this;
  }

  /**
   * Ends the running task and waits up to `waitMs` for the next dispatch: its task id, or undefined when
   * none came (the queue was empty). The ended stream leaves the slot at once, before the next dispatch
   * can arrive, so only a dispatch tells that the queue moved.
   */
  async finish(waitMs: number): Promise<string | undefined> {
    const before = this.started.length;
    const [id, res] = [...this.held][0] ?? [];
    if (id === undefined || res === undefined) throw new Error("no task is running on the node");
    res.end(sseFrame("token", { t: " ok", i: 0 }) + sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
    await waitFor("the next dispatch", () => this.started.length > before, waitMs, 10).catch(() => undefined);
    return this.started.length > before ? this.started[this.started.length - 1] : undefined;
  }

  /** Ends the running task; the next one must be dispatched within 15 s. */
  async finishNext(): Promise<string> {
    const next = await this.finish(15_000);
    if (next === undefined) throw new Error("no task was dispatched within 15 s of the slot freeing");
    return next;
  }

  async stop(): Promise<void> {
    for (const res of this.held.values()) res.destroy();
    await this.node?.stop();
  }
}

export type Api = (path: string, init?: RequestInit) => Promise<Response>;

/** fetch against `base()` with a bearer token and a JSON content type (20 s bound). */
export const authedApi = (base: () => string, token: string): Api => (path, init = {}) =>
  fetch(`${base()}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(20_000) });

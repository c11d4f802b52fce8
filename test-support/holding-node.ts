import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "./headless-process.js";
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

/**
 * A headless orchestrator process (its own data dir and port, restartable on both) with one HoldingNode
 * registered: for tests that kill or stop the orchestrator with tasks queued and watch the order after.
 */
export class HeadlessHoldingCluster {
  private constructor(
    private orch: HeadlessOrchestrator,
    readonly node: HoldingNode,
    private readonly port: number,
    private readonly dataDir: string,
    private readonly token: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(opts: { nodeId: string; model: string; token: string; env: Record<string, string> }): Promise<HeadlessHoldingCluster> {
    const dataDir = mkdtempSync(join(tmpdir(), "llorch-holding-"));
    const port = await freePort();
    const orch = await startHeadlessOrchestrator({ port, dataDir, token: opts.token, env: opts.env });
    const node = await new HoldingNode(opts.nodeId, opts.model).start(orch.url, opts.token);
    return new HeadlessHoldingCluster(orch, node, port, dataDir, opts.token, opts.env);
  }

  get url(): string {
    return this.orch.url;
  }

  /** A bearer-token fetch that follows the orchestrator across restarts. */
  as(token: string): Api {
    return authedApi(() => this.orch.url, token);
  }

  /** Stops the orchestrator with `signal` and starts it again on the same port and data dir. */
  async restart(signal: NodeJS.Signals): Promise<void> {
    await this.orch.kill(signal);
    this.orch = await startHeadlessOrchestrator({ port: this.port, dataDir: this.dataDir, token: this.token, env: this.env });
  }

  /** After a restart: until the node has registered again (it learns of the restart from a 404). */
  async nodeBack(): Promise<void> {
    await waitFor("the node registered again", async () => {
      try {
        await this.node.node?.reregister();
        return true;
      } catch {
        return false;
      }
    }, 20_000, 100);
  }

  async close(): Promise<void> {
    await this.node.stop();
    await this.orch.kill("SIGKILL");
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

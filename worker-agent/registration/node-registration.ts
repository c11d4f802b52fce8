import type { HeartbeatRequest } from "../../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../../src-shared/nodes/node-registration.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { OrchestratorClient } from "./orchestrator-client.js";

export interface NodeRegistrationOptions {
  client: OrchestratorClient;
  nodeId: string;
  buildRegistration(): RegisterNodeRequest;
  buildHeartbeat(includeModels: boolean): HeartbeatRequest;
  /** Changes whenever the model inventory does (so heartbeats carry it only then). */
  inventorySignature(): string;
  intervalMs: number;
  maxBackoffMs: number;
  metrics: WorkerMetrics;
  log: Logger;
  random?: () => number;
  /** Test hook: each heartbeat goes up to this many ms early or late. */
  jitterMs?: number;
  /**
   * Called once when the first registration of this run is refused for its credential (401/403): a
   * wrong, revoked or under-scoped token, or a node key from an orchestrator whose database is gone.
   * Retrying cannot help, so the agent stops with this message instead of retrying unseen forever.
   * (Once registered, a later refusal — a key revoked while running — keeps retrying as before.)
   */
  onRefused?: (message: string) => void;
}

const FIRST_RETRY_MS = 250;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 60_000;

/**
 * Keeps the orchestrator's view of this node true: register (retrying with capped, jittered
 * backoff while it is down), heartbeat every interval (or what the reply's next_heartbeat_ms says),
 * push a heartbeat at once on change, register again when a heartbeat answers 404. One request at
 * a time and one timer, so it can never spin.
 */
export class NodeRegistration {
  private phase: "idle" | "registering" | "online" | "stopped" = "idle";
  private everRegistered = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private pushPending = false;
  private attempts = 0;
  private intervalMs: number;
  private reportedInventory: string | undefined;

  constructor(private readonly options: NodeRegistrationOptions) {
    this.intervalMs = options.intervalMs;
  }

  get registered(): boolean {
    return this.phase === "online";
  }

  start(): void {
    this.phase = "registering";
    this.schedule(0);
  }

  /** A pool changed state: tell the orchestrator now rather than at the next tick. */
  notifyChange(): void {
    if (this.phase !== "online") return;
    if (this.inFlight) {
      this.pushPending = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops the loops and deregisters (DELETE /v2/nodes/{id}); resolves whatever the outcome. */
  async stopAndDeregister(): Promise<void> {
    const wasRegistered = this.phase === "online";
    this.stop();
    if (!wasRegistered) return;
    const result = await this.options.client.deregister(this.options.nodeId);
    if (result.ok) this.options.log.info({ node_id: this.options.nodeId }, "deregistered from orchestrator");
    else this.options.log.warn({ reason: result.reason }, "deregistration failed");
  }

  stop(): void {
    this.phase = "stopped";
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.phase === "stopped") return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (this.inFlight || this.phase === "stopped") return;
    this.inFlight = true;
    try {
      if (this.phase === "registering") await this.register();
      else if (this.phase === "online") await this.heartbeat();
    } finally {
      this.inFlight = false;
    }
    if (this.pushPending && this.phase === "online") {
      this.pushPending = false;
      this.schedule(0);
    }
  }

  private async register(): Promise<void> {
    const body = this.options.buildRegistration();
    const signature = this.options.inventorySignature();
    const result = await this.options.client.register(body);
    if (this.phase === "stopped") return;
    if (result.ok) {
      this.options.metrics.registrations.inc({ outcome: "success" });
      this.phase = "online";
      this.everRegistered = true;
      this.attempts = 0;
      this.reportedInventory = signature;
      if (result.data !== undefined) this.intervalMs = clampInterval(result.data.next_heartbeat_ms);
      this.options.log.info({ node_id: body.node_id, address: body.address, pools: body.pools, next_heartbeat_ms: this.intervalMs }, "registered with orchestrator");
      this.schedule(0); // first heartbeat right away: the orchestrator marks us online on it
      return;
    }
    this.options.metrics.registrations.inc({ outcome: "error" });
    if ((result.status === 401 || result.status === 403) && !this.everRegistered && this.options.onRefused !== undefined) {
      this.phase = "stopped";
      this.options.onRefused(`the orchestrator refuses this worker's credential (HTTP ${result.status}${refusalCode(result.reason)}): check LLORCH_API_TOKEN (or, for a joined node, mint a join token and join again)`);
      return;
    }
    const delay = this.backoff();
    this.options.log.warn({ attempt: this.attempts, status: result.status, reason: result.reason, retry_in_ms: delay }, "registration failed; retrying");
    this.schedule(delay);
  }

  private async heartbeat(): Promise<void> {
    const signature = this.options.inventorySignature();
    const includeModels = signature !== this.reportedInventory;
    const result = await this.options.client.heartbeat(this.options.nodeId, this.options.buildHeartbeat(includeModels));
    if (this.phase === "stopped") return;
    if (result.ok) {
      this.options.metrics.heartbeats.inc({ outcome: "success" });
      this.attempts = 0;
      if (includeModels) this.reportedInventory = signature;
      if (result.data !== undefined) this.intervalMs = clampInterval(result.data.next_heartbeat_ms);
      const jitter = this.options.jitterMs ?? 0;
      this.schedule(Math.max(0, this.intervalMs + (jitter > 0 ? ((this.options.random ?? Math.random)() * 2 - 1) * jitter : 0)));
      return;
    }
    if (result.status === 404) {
      // The orchestrator restarted or dropped us (offline): register again, at once.
      this.options.metrics.heartbeats.inc({ outcome: "not_found" });
      this.options.log.warn({ reason: result.reason }, "heartbeat answered 404; registering again");
      this.phase = "registering";
      this.attempts = 0;
      this.schedule(0);
      return;
    }
    this.options.metrics.heartbeats.inc({ outcome: result.status === 401 || result.status === 403 ? "unauthorized" : "error" });
    const delay = Math.max(this.intervalMs, this.backoff());
    this.options.log.warn({ status: result.status, reason: result.reason, retry_in_ms: delay }, "heartbeat failed");
    this.schedule(delay);
  }

  /** 250 ms, 500 ms, 1 s … capped, ±20 % jitter. */
  private backoff(): number {
    this.attempts++;
    const base = Math.min(this.options.maxBackoffMs, FIRST_RETRY_MS * 2 ** Math.min(this.attempts - 1, 20));
    const random = this.options.random ?? Math.random;
    return Math.round(base * (0.8 + 0.4 * random()));
  }
}

function clampInterval(ms: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, ms));
}

/** The error code of the orchestrator's envelope in a refusal's reason (` BAD_TOKEN: the bearer token is not valid`), if any. */
function refusalCode(reason: string): string {
  const match = /"code":"([A-Z_]+)","message":"([^"]{0,200})"/.exec(reason);
  return match === null ? "" : ` ${match[1]}: ${match[2]}`;
}

// An engine that is alive but does not answer (stopped, its event loop wedged, a llama-server that no
// longer serves /health) held its tasks and its slots forever while the pool looked ready: nothing
// ended them and the orchestrator kept placing work there. The watchdog pings a loaded engine and
// reports it hung when nothing at all has come from it for `unresponsiveMs`.

import { OWN_STALL_MS } from "../../src-node/own-stall.js";

export interface WatchedEngine {
  send(message: { type: "ping"; n: number }): boolean;
}

export class EngineWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastSeenAt = 0;
  private sequence = 0;
  /** A late tick (the agent's own pause) restarted the silence since the engine was last heard. */
  private forgiven = false;

  /**
   * @param unresponsiveMs silence after which the engine counts as hung (0: never)
   * @param onHung called once per watch with how long the engine has been silent
   */
  constructor(
    private readonly unresponsiveMs: number,
    private readonly onHung: (silentMs: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How often a ping goes out: four chances to answer within the limit, at most every 2 s. */
  get pingIntervalMs(): number {
    return Math.max(50, Math.min(2000, Math.floor(this.unresponsiveMs / 4)));
  }

  /**
   * Starts watching `engine`; any earlier watch ends. `limitMs` (default: the constructor's) is the silence
   * that counts as hung: a loading engine gets a longer one (it boots Node and node-llama-cpp first).
   */
  watch(engine: WatchedEngine, limitMs = this.unresponsiveMs): void {
    this.stop();
    if (this.unresponsiveMs <= 0) return;
    this.lastSeenAt = this.now();
    this.forgiven = false;
    let lastTick = this.now();
    this.timer = setInterval(() => {
      const now = this.now();
      // A tick far later than its interval: the agent itself did not run (stopped, its host asleep, its
      // loop blocked) and the engine's pongs wait unread in the pipe. Before, a 6 s pause of the agent
      // (engine_unresponsive_ms 3 s) killed its healthy engine. Forgiven once per silence.
      if (now - lastTick > this.pingIntervalMs + OWN_STALL_MS && !this.forgiven) {
        this.forgiven = true;
        this.lastSeenAt = now;
      }
      lastTick = now;
      const silent = now - this.lastSeenAt;
      if (silent >= limitMs) {
        this.stop();
        this.onHung(Math.round(silent));
        return;
      }
      engine.send({ type: "ping", n: this.sequence++ });
    }, this.pingIntervalMs);
    this.timer.unref();
  }

  /** Anything from the engine (a pong, a token, stats) shows it is alive. */
  seen(): void {
    this.lastSeenAt = this.now();
    this.forgiven = false;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

// An engine that is alive but does not answer (stopped, its event loop wedged, a llama-server that no
// longer serves /health) held its tasks and its slots forever while the pool looked ready: nothing
// ended them and the orchestrator kept placing work there. The watchdog pings a loaded engine and
// reports it hung when nothing at all has come from it for `unresponsiveMs`.

export interface WatchedEngine {
  send(message: { type: "ping"; n: number }): boolean;
}

export class EngineWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastSeenAt = 0;
  private sequence = 0;

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

  /** Starts watching `engine` (a loaded one); any earlier watch ends. */
  watch(engine: WatchedEngine): void {
    this.stop();
    if (this.unresponsiveMs <= 0) return;
    this.lastSeenAt = this.now();
    this.timer = setInterval(() => {
      const silent = this.now() - this.lastSeenAt;
      if (silent >= this.unresponsiveMs) {
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
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

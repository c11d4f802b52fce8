import type { EngineToParentMessage, EngineTokenMessage, EngineWireMessage } from "./engine-ipc.js";

// node-llama-cpp queues a sequence's next decode from the same event loop that reports its token, and
// dispatches it in a setImmediate. Sending each token at once put a JSON encode and a pipe write (which
// wakes the agent, on a 2-core box often in place of this thread) between a token and the next decode,
// once per token and per stream. The outbox instead collects the token messages of one event-loop turn
// (one per generating sequence of a batch step) and writes them as one "tokens" message right after the
// next decode has been dispatched, so the IPC work overlaps decoding instead of delaying it.
//
// With `minIntervalMs` it also spaces the writes of a lone stream: a step's single token that comes
// less than that long after the previous write waits (with the tokens after it) until the interval is
// over. Each write wakes the agent and, through its SSE write, the client; on a small box those
// wake-ups take the CPU from the decoding thread, so fewer of them is decode time won back
// (docs/PERFORMANCE.md, "Per-token cost of the node-llama-cpp engine"). A step of several streams is
// written at once (its tokens already share one write); a token after a quiet spell (a stream's first)
// leaves at once; any other message (a task's end) flushes the queue first.

/** Token messages of one turn, written as one IPC message after the decode dispatch; other messages flush it first. */
export class TokenOutbox {
  private queued: EngineTokenMessage[] = [];
  /** Counts flushes: a fallback whose batch was already flushed does nothing. */
  private flushes = 0;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  /** Token messages since the last dispatch: one per sequence that stepped. */
  private stepTokens = 0;

  /** `minIntervalMs` 0 (the default): every turn's tokens are written in that turn. */
  constructor(
    private readonly write: (message: EngineWireMessage) => void,
    private readonly minIntervalMs = 0,
  ) {}

  /** Queues a token message; any other message is written at once, after the tokens queued before it. */
  readonly send = (message: EngineToParentMessage): void => {
    if (message.type !== "token") {
      this.flush();
      this.write(message);
      return;
    }
    this.queued.push(message);
    this.stepTokens++;
    if (this.queued.length > 1) return;
    // The fallback when no decode follows (a task's last token): the next turn's check phase. Normally
    // schedule() has flushed by then, in this turn's check phase right after the dispatch.
    const batch = this.flushes;
    setImmediate(() =>
      setImmediate(() => {
        if (this.flushes === batch) this.flushWhenDue();
      }),
    );
  };

  /** The context's batch dispatch schedule: decode first, then the tokens of the step that just ended. */
  readonly schedule = (dispatch: () => void): void => {
    setImmediate(() => {
      dispatch();
      this.stepDispatched();
    });
  };

  /**
   * The next decode has just been dispatched: writes the tokens of the step that ended. Also called by
   * the batch-step barrier (batch-step-barrier.ts), whose steps follow each other without a new dispatch.
   */
  readonly stepDispatched = (): void => {
    // Several streams' tokens of one step already share a write: spacing them only added timers.
    const severalStreams = this.stepTokens > 1;
    this.stepTokens = 0;
    if (severalStreams) this.flush();
    else this.flushWhenDue();
  };

  /** Writes the queued tokens now (in emission order), if any. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queued.length === 0) return;
    const tokens = this.queued;
    this.queued = [];
    this.flushes++;
    if (this.minIntervalMs > 0) this.lastFlushAt = performance.now();
    // A lone token travels as itself: the common single-stream case keeps the plain message.
    this.write(tokens.length === 1 ? (tokens[0] as EngineTokenMessage) : { type: "tokens", tokens });
  }

  /**
   * Flushes now if `minIntervalMs` has passed since the last write. Otherwise a later dispatch does it,
   * right after its decode is queued; the timer is only the fallback when no dispatch comes (a long
   * prompt step, a stall), set a whole interval later than due so that it does not fire between a
   * finished decode and the next one, where a write would delay every stream.
   */
  private flushWhenDue(): void {
    if (this.queued.length === 0) return;
    const wait = this.minIntervalMs === 0 ? 0 : this.lastFlushAt + this.minIntervalMs - performance.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait + this.minIntervalMs);
  }
}

import type { SseEvent, SseTokenData } from "../../../src-shared/streaming/sse-events.js";

/** Consecutive plain tokens (text and index only) of a finished task: one string and their end offsets. */
interface TokenRun {
  readonly run: true;
  /** `i` of the first token; the others follow one by one. */
  readonly first: number;
  /** Every token's text, joined (one flat string). */
  readonly text: string;
  /** End offset of each token's text in `text`. */
  readonly ends: number[];
}

/**
 * A task's events, in order, replayed to late subscribers (Last-Event-ID counts them). While the task
 * runs it is a plain array. When it finishes, `pack()` folds each run of plain token events into one
 * string and an array of offsets: the history keeps up to 200,000 finished events, and as ~95-byte
 * objects (event, data, text) they were ~19 MB of heap that every full GC had to mark, object by
 * object, for as long as they were kept. Iterating a packed log rebuilds the same events.
 */
export class TaskEventLog implements Iterable<SseEvent> {
  private entries: (SseEvent | TokenRun)[] = [];
  private count = 0;
  private packed = false;

  static of(events: Iterable<SseEvent>): TaskEventLog {
    const log = new TaskEventLog();
    for (const event of events) log.push(event);
    return log;
  }

  get length(): number {
    return this.count;
  }

  /** The newest event (a terminal event is never packed, so this is always a real one at the end). */
  last(): SseEvent | undefined {
    const entry = this.entries[this.entries.length - 1];
    if (entry === undefined || !("run" in entry)) return entry;
    const start = entry.ends.length > 1 ? (entry.ends[entry.ends.length - 2] as number) : 0;
    return tokenEvent(entry.text.slice(start, entry.ends[entry.ends.length - 1]), entry.first + entry.ends.length - 1);
  }

  push(event: SseEvent): void {
    this.entries.push(event);
    this.count++;
  }

  /**
   * Drops every event from the first token on (a rescued attempt: its partial output is discarded
   * and the task starts over). Only a running task's log, never a packed one. Returns how many events went.
   */
  truncateAtFirstToken(): number {
    if (this.packed) throw new Error("a finished task's events cannot be rewound");
    const at = this.entries.findIndex((entry) => !("run" in entry) && entry.event === "token");
    if (at < 0) return 0;
    const dropped = this.entries.length - at;
    this.entries.length = at;
    this.count -= dropped;
    return dropped;
  }

  /** Folds runs of plain token events (no logprobs, tool call or other field; consecutive `i`) into TokenRuns. Idempotent. */
  pack(): void {
    if (this.packed) return;
    this.packed = true;
    const out: (SseEvent | TokenRun)[] = [];
    let texts: string[] = [];
    let first = 0;
    const flush = () => {
      if (texts.length === 0) return;
      const ends: number[] = [];
      let at = 0;
      for (const t of texts) ends.push((at += t.length));
      out.push({ run: true, first, text: texts.join(""), ends });
      texts = [];
    };
    for (const entry of this.entries) {
      if (!("run" in entry) && entry.event === "token" && isPlainToken(entry.data) && (texts.length === 0 || entry.data.i === first + texts.length)) {
        if (texts.length === 0) first = entry.data.i;
        texts.push(entry.data.t);
        continue;
      }
      flush();
      if (!("run" in entry) && entry.event === "token" && isPlainToken(entry.data)) {
        first = entry.data.i;
        texts.push(entry.data.t);
        continue;
      }
      out.push(entry);
    }
    flush();
    this.entries = out;
  }

  *[Symbol.iterator](): Iterator<SseEvent> {
    for (const entry of this.entries) {
      if (!("run" in entry)) {
        yield entry;
        continue;
      }
      let start = 0;
      for (let k = 0; k < entry.ends.length; k++) {
        const end = entry.ends[k] as number;
        yield tokenEvent(entry.text.slice(start, end), entry.first + k);
        start = end;
      }
    }
  }
}

function tokenEvent(t: string, i: number): SseEvent {
  return { event: "token", data: { t, i } };
}

/** Exactly `{t, i}`: anything else (logprobs, a tool call, an unknown field kept by the loose schema) stays an object. */
function isPlainToken(data: SseTokenData): boolean {
  let keys = 0;
  for (const key in data) {
    if (key !== "t" && key !== "i") return false;
    keys++;
  }
  return keys === 2 && Number.isSafeInteger(data.i);
}

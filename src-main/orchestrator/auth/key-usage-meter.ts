import type { Logger } from "pino";
import type { KeyLimits } from "../../../src-shared/auth/key-limits.js";
import { usageDay, ZERO_USAGE, type UsageCounts } from "../../../src-shared/dashboard/key-usage.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { CountedThrough, KeyUsageStore, UsageMarks } from "../db/key-usage-store.js";

const KEY_PREFIX = "key:";
const FLUSH_MS = 2000;
const DAY_MS = 86_400_000;
/** How soon a key refused because its running tasks may use the rest of its quota is told to retry. */
const IN_FLIGHT_RETRY_MS = 1000;

/**
 * The tokens an admitted task of a key is held to until it ends: its generation ceiling (a context
 * shortens it). Its prompt is not known before the worker reads it, so it is not held.
 */
export function quotaReservation(maxTokens: number, contextLength: number | undefined): number {
  return Math.max(1, contextLength === undefined ? maxTokens : Math.min(maxTokens, contextLength));
}

/** An admitted task of a key, not ended yet: what it may still add to the key's count. */
export interface InFlightTask {
  task_id: string;
  reserve_tokens: number;
}

/** An admitted task: held like one in flight, and its admission time marks how far the written counts reach. */
export interface AdmittedTask extends InFlightTask {
  accepted_at_ms: number;
}

/** A task a crash left unfinished, as the journal has it. */
export interface UnfinishedTask {
  task_id: string;
  owner: string | null;
  accepted_at_ms: number;
  /** What a running one had read and generated (the journal's progress, written every second); 0 for a queued one. */
  tokens_in: number;
  tokens_out: number;
}

/** A task that ended in the run that crashed, as the journal has it: its request or tokens may not be in the written counts. */
export interface EndedTask {
  task_id: string;
  owner: string | null;
  accepted_at_ms: number;
  finished_at_ms: number;
  tokens_in: number;
  tokens_out: number;
}

/** Whether `mark` covers the task at `atMs` (an admission or an end); a null mark covers nothing. */
function isCounted(mark: CountedThrough | null, taskId: string, atMs: number): boolean {
  if (mark === null) return false;
  return atMs < mark.at_ms || (atMs === mark.at_ms && mark.task_ids.includes(taskId));
}

/** The mark moved over an admission or an end; never back (a clock stepped back leaves it: such a task counts as written). */
function advanced(mark: CountedThrough | null, taskId: string, atMs: number): CountedThrough {
  if (mark === null || atMs > mark.at_ms) return { at_ms: atMs, task_ids: [taskId] };
  if (atMs === mark.at_ms) mark.task_ids.push(taskId);
  return mark;
}

/** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s", "3h2m0s". */
function duration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  const seconds = whole / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

/** A key's request allowance: refills continuously at requests_per_minute, holds at most one minute's worth. */
interface Bucket {
  tokens: number;
  atMs: number;
}

export interface KeyUsageMeterDeps {
  store: KeyUsageStore;
  /** An API key's limits by its id (an unknown id: none). */
  limitsOf: (keyId: string) => KeyLimits;
  logger: Logger;
  now?: () => number;
}

/**
 * What each credential uses (tasks admitted; prompt and generated tokens, counted when a task ends),
 * and the per-key limits checked at admission. Counts are kept in memory and written every 2 s and at
 * close; today's totals are read back at start, so a restart does not reset a daily quota. A crash
 * loses nothing of what the journal has: each write also marks the newest admission and the newest end
 * it counts, and the restart counts the requests of the tasks admitted after the one and the tokens of
 * those ended after the other, and charges the running ones what the journal had of their tokens
 * (`recovered`). A credential without limits (the operator's tokens, the dashboard, keys with none)
 * costs a map update per task.
 */
export class KeyUsageMeter {
  private day: string;
  private dayEndsAtMs: number;
  /** Today's totals per credential: what the database had at start plus everything since. */
  private readonly today = new Map<string, UsageCounts>();
  /** Counts of `day` not written yet. */
  private pending = new Map<string, UsageCounts>();
  private readonly buckets = new Map<string, Bucket>();
  /** Tokens held by each key's admitted, unended tasks (task id → tokens), so concurrent requests cannot all pass a nearly used quota. */
  private readonly inFlight = new Map<string, Map<string, number>>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  /** The newest admission counted (written, or in `pending`: the next write carries it). */
  private countedThrough: CountedThrough | null;
  /** The newest end whose tokens are counted (written, or in `pending`). */
  private finishedThrough: CountedThrough;
  /** A mark moved since the last write (a task without tokens moves one without adding to `pending`). */
  private marksMoved = false;

  readonly store: KeyUsageStore;

  constructor(private readonly deps: KeyUsageMeterDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    const now = this.now();
    this.day = usageDay(now);
    this.dayEndsAtMs = now - (now % DAY_MS) + DAY_MS;
    for (const row of deps.store.day(this.day)) this.today.set(row.credential_id, { requests: row.requests, tokens_in: row.tokens_in, tokens_out: row.tokens_out });
    this.countedThrough = deps.store.countedThrough();
    // First start on this database (or one from before the mark): every end so far counts as written.
    const finished = deps.store.finishedThrough();
    this.finishedThrough = finished ?? { at_ms: now, task_ids: [] };
    if (finished === null) {
      try {
        deps.store.addDays(new Map(), { finished: this.finishedThrough });
      } catch (err) {
        // Written with the next counts instead (a full disk frees up); a crash before then recounts nothing ended.
        this.marksMoved = true;
        deps.logger.warn({ err }, "key usage end mark not written; retrying with the next write");
      }
    }
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /**
   * Throws 429 when the credential's limits refuse one more task now; changes nothing. A daily quota
   * counts what the key's running and queued tasks may still generate (their max_tokens): concurrent
   * requests overshoot the quota by at most one task's max_tokens plus the prompts in flight
   * (docs/SECURITY.md "Per-key limits"), not by their number times max_tokens.
   */
  check(owner: string | null): void {
    if (owner === null || !owner.startsWith(KEY_PREFIX)) return;
    const limits = this.deps.limitsOf(owner.slice(KEY_PREFIX.length));
    if (limits.requests_per_minute === null && limits.tokens_per_day === null) return;
    const now = this.now();
    this.rollDay(now);
    if (limits.tokens_per_day !== null) {
      const used = this.usedToday(owner);
      const tokens = used.tokens_in + used.tokens_out;
      if (tokens >= limits.tokens_per_day) {
        throw new OrchError(
          "KEY_QUOTA_EXCEEDED",
          `this API key has used its ${limits.tokens_per_day} tokens for today (${tokens} so far, UTC day ${this.day}); it can be used again at 00:00 UTC, or an operator can raise its tokens_per_day`,
          { retry_after_ms: this.dayEndsAtMs - now, details: { tokens_per_day: limits.tokens_per_day, tokens_used: tokens } },
        );
      }
      const held = this.heldBy(owner);
      if (held.tokens > 0 && tokens + held.tokens >= limits.tokens_per_day) {
        // Not the day's end: once a running task ends, what it did not generate is free again.
        throw new OrchError(
          "KEY_QUOTA_EXCEEDED",
          `this API key's ${held.tasks} tasks in flight may use the rest of its ${limits.tokens_per_day} tokens for today (${tokens} used, up to ${held.tokens} more held by their max_tokens); retry when one ends`,
          { retriable: true, retry_after_ms: IN_FLIGHT_RETRY_MS, details: { tokens_per_day: limits.tokens_per_day, tokens_used: tokens, tokens_in_flight: held.tokens, tasks_in_flight: held.tasks } },
        );
      }
    }
    if (limits.requests_per_minute !== null) {
      const bucket = this.refilled(owner, limits.requests_per_minute, now);
      if (bucket.tokens < 1) {
        const perMs = limits.requests_per_minute / 60_000;
        throw new OrchError("KEY_RATE_LIMITED", `this API key may have ${limits.requests_per_minute} requests admitted per minute; retry shortly`, {
          retry_after_ms: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs)),
          details: { requests_per_minute: limits.requests_per_minute },
        });
      }
    } else {
      this.buckets.delete(owner);
    }
  }

  /** A task of `owner` was admitted (its limits were checked in the same turn); `task` holds its reservation until it ends. */
  admitted(owner: string | null, task?: AdmittedTask): void {
    if (owner === null) return;
    this.rollDay(this.now());
    this.add(owner, 1, 0, 0);
    if (task !== undefined) {
      this.countedThrough = advanced(this.countedThrough, task.task_id, task.accepted_at_ms);
      this.marksMoved = true;
    }
    const bucket = this.buckets.get(owner);
    if (bucket !== undefined) bucket.tokens -= 1;
    if (task !== undefined) this.hold(owner, task);
  }

  /**
   * At start, after a crash: `unfinished` are the tasks it left unfinished (running, queued again or
   * abandoned), which the caller's transaction ends at `atMs`; `ended` are the journal's tasks that ended
   * after the written end mark or were admitted after the written admission mark. Counted now: the request
   * of each task admitted after the admission mark (on the day it was admitted), the tokens of each task
   * that ended after the end mark (on the day it ended), and what the journal had of each running task's
   * tokens (it never ended in the run that crashed). Counts and both marks, moved over all of them, are
   * written at once (in the caller's transaction, with the journal marking the unfinished ended): a second
   * crash neither loses nor repeats them. Returns the requests counted.
   */
  recovered(unfinished: readonly UnfinishedTask[], ended: readonly EndedTask[] = [], atMs = this.now()): number {
    this.rollDay(this.now());
    const admittedMark = this.countedThrough === null ? null : { at_ms: this.countedThrough.at_ms, task_ids: [...this.countedThrough.task_ids] };
    const finishedMark = { at_ms: this.finishedThrough.at_ms, task_ids: [...this.finishedThrough.task_ids] };
    const pastDays = new Map<string, Map<string, UsageCounts>>();
    const count = (owner: string, dayOfMs: number, requests: number, tokensIn: number, tokensOut: number): void => {
      const day = usageDay(dayOfMs);
      if (day === this.day) return this.add(owner, requests, tokensIn, tokensOut);
      const counts = pastDays.get(day) ?? new Map<string, UsageCounts>();
      pastDays.set(day, counts);
      this.addTo(counts, owner, requests, tokensIn, tokensOut);
    };
    let counted = 0;
    for (const t of unfinished) {
      if (t.owner !== null && t.tokens_in + t.tokens_out > 0) this.add(t.owner, 0, t.tokens_in, t.tokens_out);
      if (t.owner !== null && !isCounted(admittedMark, t.task_id, t.accepted_at_ms)) {
        count(t.owner, t.accepted_at_ms, 1, 0, 0);
        counted++;
      }
      this.countedThrough = advanced(this.countedThrough, t.task_id, t.accepted_at_ms);
      // The journal ends it at atMs in the same transaction: the end mark must cover it there.
      this.finishedThrough = advanced(this.finishedThrough, t.task_id, atMs);
    }
    for (const t of ended) {
      // A task the journal had no admission mark for was written before marks: counted then, as far as anyone knows.
      if (t.owner !== null && admittedMark !== null && !isCounted(admittedMark, t.task_id, t.accepted_at_ms)) {
        count(t.owner, t.accepted_at_ms, 1, 0, 0);
        counted++;
      }
      if (t.owner !== null && t.tokens_in + t.tokens_out > 0 && !isCounted(finishedMark, t.task_id, t.finished_at_ms)) count(t.owner, t.finished_at_ms, 0, t.tokens_in, t.tokens_out);
      this.countedThrough = advanced(this.countedThrough, t.task_id, t.accepted_at_ms);
      this.finishedThrough = advanced(this.finishedThrough, t.task_id, t.finished_at_ms);
    }
    if (unfinished.length === 0 && ended.length === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.deps.store.addDays(new Map([...pastDays, [this.day, batch]]), this.marks());
      this.marksMoved = false;
    } catch (err) {
      for (const [id, c] of batch) this.addTo(this.pending, id, c.requests, c.tokens_in, c.tokens_out);
      this.marksMoved = true;
      this.deps.logger.warn({ err, past_days: [...pastDays.keys()] }, "key usage of tasks around the restart not written; today's is retried in 2 s, earlier days' is lost");
    }
    return counted;
  }

  /** The journal bounds of what a crash may have kept from the written counts (see `recovered`). */
  recoveryBounds(): { acceptedFromMs: number | null; finishedFromMs: number } {
    return { acceptedFromMs: this.countedThrough?.at_ms ?? null, finishedFromMs: this.finishedThrough.at_ms };
  }

  /** A task admitted before a restart is queued again (counted once, when it was admitted): it holds its reservation again. */
  resumed(owner: string | null, task: InFlightTask): void {
    if (owner !== null) this.hold(owner, task);
  }

  /**
   * A task of `owner` ended having read `tokensIn` and generated `tokensOut`; its reservation is freed.
   * `finishedAtMs`: when the journal recorded its end (the end mark moves over it).
   */
  finished(owner: string | null, tokensIn: number, tokensOut: number, taskId?: string, finishedAtMs?: number): void {
    if (taskId !== undefined && finishedAtMs !== undefined) {
      this.finishedThrough = advanced(this.finishedThrough, taskId, finishedAtMs);
      this.marksMoved = true;
    }
    if (owner === null) return;
    if (taskId !== undefined) this.release(owner, taskId);
    if (tokensIn + tokensOut === 0) return;
    this.rollDay(this.now());
    this.add(owner, 0, tokensIn, tokensOut);
  }

  /**
   * The x-ratelimit-* headers OpenAI's API sends (and clients such as LangChain and LiteLLM read to pace
   * themselves), for a key with limits after its request was admitted; null for one without. Tokens are
   * per UTC day here, not per minute: their reset is the end of the day.
   */
  limitHeaders(owner: string | null): Record<string, string> | null {
    if (owner === null || !owner.startsWith(KEY_PREFIX)) return null;
    const limits = this.deps.limitsOf(owner.slice(KEY_PREFIX.length));
    if (limits.requests_per_minute === null && limits.tokens_per_day === null) return null;
    const now = this.now();
    const headers: Record<string, string> = {};
    if (limits.requests_per_minute !== null) {
      const bucket = this.refilled(owner, limits.requests_per_minute, now);
      headers["x-ratelimit-limit-requests"] = String(limits.requests_per_minute);
      headers["x-ratelimit-remaining-requests"] = String(Math.max(0, Math.floor(bucket.tokens)));
      headers["x-ratelimit-reset-requests"] = duration(((limits.requests_per_minute - bucket.tokens) * 60_000) / limits.requests_per_minute);
    }
    if (limits.tokens_per_day !== null) {
      const used = this.usedToday(owner);
      headers["x-ratelimit-limit-tokens"] = String(limits.tokens_per_day);
      // What admission would still let through: the tokens held by the key's tasks in flight (this one
      // included) are spoken for, as OpenAI counts max_tokens against its limit when it admits a request.
      headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, limits.tokens_per_day - used.tokens_in - used.tokens_out - this.heldBy(owner).tokens));
      headers["x-ratelimit-reset-tokens"] = duration(this.dayEndsAtMs - now);
    }
    return headers;
  }

  usedToday(credentialId: string): UsageCounts {
    this.rollDay(this.now());
    return this.today.get(credentialId) ?? ZERO_USAGE;
  }

  /** Writes the pending counts (every 2 s, before a report, at close). */
  flush(): void {
    if (this.pending.size === 0 && !this.marksMoved) return;
    const batch = this.pending;
    this.pending = new Map();
    this.marksMoved = false;
    try {
      this.deps.store.add(this.day, batch, this.marks());
    } catch (err) {
      // Kept for the next flush (a full disk frees up): counts are not lost for a failed write.
      this.marksMoved = true;
      for (const [id, c] of batch) this.addTo(this.pending, id, c.requests, c.tokens_in, c.tokens_out);
      this.deps.logger.warn({ err, credentials: batch.size }, "key usage write failed; retrying in 2 s");
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  /** Tasks of `owner` admitted and not ended, and the tokens they hold. */
  heldBy(owner: string): { tasks: number; tokens: number } {
    const tasks = this.inFlight.get(owner);
    if (tasks === undefined) return { tasks: 0, tokens: 0 };
    let tokens = 0;
    for (const t of tasks.values()) tokens += t;
    return { tasks: tasks.size, tokens };
  }

  private marks(): UsageMarks {
    return { ...(this.countedThrough !== null ? { admitted: this.countedThrough } : {}), finished: this.finishedThrough };
  }

  private hold(owner: string, task: InFlightTask): void {
    // Only API keys have limits; the operator's credentials are never held to anything.
    if (!owner.startsWith(KEY_PREFIX)) return;
    let tasks = this.inFlight.get(owner);
    if (tasks === undefined) {
      tasks = new Map();
      this.inFlight.set(owner, tasks);
    }
    tasks.set(task.task_id, task.reserve_tokens);
  }

  private release(owner: string, taskId: string): void {
    const tasks = this.inFlight.get(owner);
    if (tasks === undefined) return;
    tasks.delete(taskId);
    if (tasks.size === 0) this.inFlight.delete(owner);
  }

  private rollDay(now: number): void {
    if (now < this.dayEndsAtMs) return;
    this.flush();
    this.today.clear();
    this.day = usageDay(now);
    this.dayEndsAtMs = now - (now % DAY_MS) + DAY_MS;
  }

  private refilled(owner: string, perMinute: number, now: number): Bucket {
    let bucket = this.buckets.get(owner);
    if (bucket === undefined) {
      bucket = { tokens: perMinute, atMs: now };
      this.buckets.set(owner, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.atMs) * perMinute) / 60_000);
    bucket.atMs = now;
    return bucket;
  }

  private add(owner: string, requests: number, tokensIn: number, tokensOut: number): void {
    this.addTo(this.today, owner, requests, tokensIn, tokensOut);
    this.addTo(this.pending, owner, requests, tokensIn, tokensOut);
  }

  private addTo(map: Map<string, UsageCounts>, owner: string, requests: number, tokensIn: number, tokensOut: number): void {
    const c = map.get(owner);
    if (c === undefined) {
      map.set(owner, { requests, tokens_in: tokensIn, tokens_out: tokensOut });
      return;
    }
    c.requests += requests;
    c.tokens_in += tokensIn;
    c.tokens_out += tokensOut;
  }
}

import type { Logger } from "pino";
import type { KeyLimits } from "../../../src-shared/auth/key-limits.js";
import { usageDay, ZERO_USAGE, type UsageCounts } from "../../../src-shared/dashboard/key-usage.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { CountedThrough, KeyUsageStore } from "../db/key-usage-store.js";

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

function isCounted(mark: CountedThrough | null, task: UnfinishedTask): boolean {
  if (mark === null) return false;
  return task.accepted_at_ms < mark.at_ms || (task.accepted_at_ms === mark.at_ms && mark.task_ids.includes(task.task_id));
}

/** The mark moved over an admission; never back (a clock stepped back leaves it: such a task counts as written). */
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
 * loses at most the counts of tasks that ended in those 2 s, none of a task it interrupted: each write
 * also marks the newest admission it counts, and the restart counts the requests of the unfinished
 * tasks admitted after it and the tokens the journal had of the running ones (`recovered`). A
 * credential without limits (the operator's tokens, the dashboard, keys with none) costs a map update
 * per task.
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

  readonly store: KeyUsageStore;

  constructor(private readonly deps: KeyUsageMeterDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    const now = this.now();
    this.day = usageDay(now);
    this.dayEndsAtMs = now - (now % DAY_MS) + DAY_MS;
    for (const row of deps.store.day(this.day)) this.today.set(row.credential_id, { requests: row.requests, tokens_in: row.tokens_in, tokens_out: row.tokens_out });
    this.countedThrough = deps.store.countedThrough();
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
    if (task !== undefined) this.countedThrough = advanced(this.countedThrough, task.task_id, task.accepted_at_ms);
    const bucket = this.buckets.get(owner);
    if (bucket !== undefined) bucket.tokens -= 1;
    if (task !== undefined) this.hold(owner, task);
  }

  /**
   * At start, the tasks a crash left unfinished (running, queued again or abandoned): each one's tokens
   * so far are charged (it never ended in the run that crashed), and the request of each one admitted
   * after the last write's mark, only in memory then, is counted on the day it was admitted. Counts and
   * the mark moved over all of them are written at once (in the caller's transaction, with the journal
   * marking them ended): a second crash neither loses nor repeats them. Returns the requests counted.
   */
  recovered(tasks: readonly UnfinishedTask[]): number {
    this.rollDay(this.now());
    const written = this.countedThrough === null ? null : { at_ms: this.countedThrough.at_ms, task_ids: [...this.countedThrough.task_ids] };
    const pastDays = new Map<string, Map<string, UsageCounts>>();
    let counted = 0;
    let charged = false;
    for (const t of tasks) {
      if (t.owner !== null && t.tokens_in + t.tokens_out > 0) {
        this.add(t.owner, 0, t.tokens_in, t.tokens_out);
        charged = true;
      }
      if (t.owner !== null && !isCounted(written, t)) {
        const day = usageDay(t.accepted_at_ms);
        if (day === this.day) this.add(t.owner, 1, 0, 0);
        else {
          const counts = pastDays.get(day) ?? new Map<string, UsageCounts>();
          pastDays.set(day, counts);
          this.addTo(counts, t.owner, 1, 0, 0);
        }
        counted++;
      }
      this.countedThrough = advanced(this.countedThrough, t.task_id, t.accepted_at_ms);
    }
    if (counted === 0 && !charged) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.deps.store.addDays(new Map([...pastDays, [this.day, batch]]), this.countedThrough ?? undefined);
    } catch (err) {
      for (const [id, c] of batch) this.addTo(this.pending, id, c.requests, c.tokens_in, c.tokens_out);
      this.deps.logger.warn({ err, past_days: [...pastDays.keys()] }, "key usage of tasks interrupted by the restart not written; today's is retried in 2 s, earlier days' is lost");
    }
    return counted;
  }

  /** A task admitted before a restart is queued again (counted once, when it was admitted): it holds its reservation again. */
  resumed(owner: string | null, task: InFlightTask): void {
    if (owner !== null) this.hold(owner, task);
  }

  /** A task of `owner` ended having read `tokensIn` and generated `tokensOut`; its reservation is freed. */
  finished(owner: string | null, tokensIn: number, tokensOut: number, taskId?: string): void {
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
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.deps.store.add(this.day, batch, this.countedThrough ?? undefined);
    } catch (err) {
      // Kept for the next flush (a full disk frees up): counts are not lost for a failed write.
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

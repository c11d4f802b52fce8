import type { SessionInfo } from "../../../src-shared/sessions/session.js";

interface Session {
  id: string;
  last_used_ms: number;
  turns: number;
  tokens_used: number;
  decode_ms_used: number;
  kv_warmth: boolean;
  node_id: string | null;
  pool_id: string | null;
}

export interface SessionLimits {
  ttlMs: number;
  maxTurns: number;
  /** 0 = unlimited. */
  tokenBudget: number;
}

export type SessionAdmission = { ok: true } | { ok: false; message: string };

/**
 * Session metadata (spec §4.4): TTL, turns, KV warmth and budgets — never conversation content.
 * Created lazily on the first task; expired sessions are pruned on access, and the map is kept in
 * order of last use so every new turn also drops the sessions that expired before it (amortized O(1)):
 * without that, each task that never names a session again (its session is its own task id) would
 * stay in memory for good.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sessions held in memory. */
  get size(): number {
    return this.sessions.size;
  }

  configure(limits: SessionLimits): void {
    this.limits = limits;
  }

  /** Checks turn and token budgets for a new task of `maxTokens`; does not change anything. */
  checkAdmission(sessionId: string, maxTokens: number): SessionAdmission {
    const s = this.live(sessionId);
    if (s === undefined) return { ok: true };
    if (s.turns >= this.limits.maxTurns) return { ok: false, message: `session ${sessionId} used all ${this.limits.maxTurns} turns` };
    const remaining = this.tokensRemaining(s);
    if (remaining !== null && remaining < maxTokens) return { ok: false, message: `session ${sessionId} has ${remaining} tokens of budget left, task asks for ${maxTokens}` };
    return { ok: true };
  }

  /** Records an accepted task (a turn). */
  noteTurn(sessionId: string): void {
    const s = this.touch(sessionId);
    s.turns++;
  }

  /** Records where the session ran and what it consumed, at the end of a task. */
  noteCompletion(sessionId: string, placement: { node_id: string; pool_id: string } | null, tokensOut: number, decodeMs: number): void {
    const s = this.touch(sessionId);
    s.tokens_used += tokensOut;
    s.decode_ms_used += decodeMs;
    if (placement) {
      // KV warmth moves with the session; a different pool means the cache there is cold (no migration).
      s.kv_warmth = tokensOut > 0;
      s.node_id = placement.node_id;
      s.pool_id = placement.pool_id;
    }
  }

  affinity(sessionId: string): string | undefined {
    return this.live(sessionId)?.pool_id ?? undefined;
  }

  info(sessionId: string): SessionInfo | null {
    const s = this.live(sessionId);
    if (s === undefined) return null;
    return {
      ttl_ms_remaining: Math.max(0, s.last_used_ms + this.limits.ttlMs - this.now()),
      turns: s.turns,
      kv_bytes: 0,
      kv_warmth: s.kv_warmth,
      tokens_budget_remaining: this.tokensRemaining(s) ?? -1,
      time_budget_remaining_ms: Math.max(0, s.last_used_ms + this.limits.ttlMs - this.now()),
      cost_budget_remaining: 0,
      node_id: s.node_id,
      pool_id: s.pool_id,
    };
  }

  /** Budget headers for a session (new sessions report the full budget). */
  budgetHeaders(sessionId: string): Record<string, string> {
    const s = this.live(sessionId);
    const tokens = s ? this.tokensRemaining(s) : this.limits.tokenBudget > 0 ? this.limits.tokenBudget : null;
    const ttl = s ? Math.max(0, s.last_used_ms + this.limits.ttlMs - this.now()) : this.limits.ttlMs;
    return {
      "X-Budget-Tokens-Remaining": tokens === null ? "unlimited" : String(tokens),
      "X-Budget-Time-Remaining-Ms": String(ttl),
      "X-Budget-Cost-Remaining": "unlimited",
    };
  }

  delete(sessionId: string): boolean {
    return this.sessions.delete(sessionId);
  }

  private tokensRemaining(s: Session): number | null {
    return this.limits.tokenBudget > 0 ? Math.max(0, this.limits.tokenBudget - s.tokens_used) : null;
  }

  private live(sessionId: string): Session | undefined {
    const s = this.sessions.get(sessionId);
    if (s !== undefined && s.last_used_ms + this.limits.ttlMs < this.now()) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return s;
  }

  private touch(sessionId: string): Session {
    const s = this.live(sessionId) ?? { id: sessionId, last_used_ms: 0, turns: 0, tokens_used: 0, decode_ms_used: 0, kv_warmth: false, node_id: null, pool_id: null };
    s.last_used_ms = this.now();
    // Re-inserted at the end: the map's order is the order of last use.
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, s);
    this.pruneExpired();
    return s;
  }

  /** Drops expired sessions from the front of the map (the least recently used) up to the first live one. */
  private pruneExpired(): void {
    const cutoff = this.now() - this.limits.ttlMs;
    for (const [id, s] of this.sessions) {
      if (s.last_used_ms >= cutoff) return;
      this.sessions.delete(id);
    }
  }
}

import type { SessionInfo } from "../../../src-shared/sessions/session.js";

interface Session {
  id: string;
  owner: string | null;
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

/**
 * Who a session belongs to: the credential id that started it (null for tasks journaled before tasks
 * had owners). Sessions are named by their clients, so two credentials using the same session id get
 * two sessions: one client can neither read, spend the budget of, steer the affinity of, nor evict
 * another's session by guessing or reusing its name.
 */
export type SessionOwner = string | null;

export type SessionAdmission = { ok: true } | { ok: false; message: string };

/**
 * Session metadata (spec §4.4): TTL, turns, KV warmth and budgets — never conversation content.
 * Created lazily on the first task; expired sessions are pruned on access, and the map is kept in
 * order of last use so every new turn also drops the sessions that expired before it (amortized O(1)):
 * without that, each task that never names a session again (its session is its own task id) would
 * stay in memory for good. Keys are owner + session id (see SessionOwner).
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
  checkAdmission(owner: SessionOwner, sessionId: string, maxTokens: number): SessionAdmission {
    const s = this.live(keyOf(owner, sessionId));
    if (s === undefined) return { ok: true };
    if (s.turns >= this.limits.maxTurns) return { ok: false, message: `session ${sessionId} used all ${this.limits.maxTurns} turns` };
    const remaining = this.tokensRemaining(s);
    if (remaining !== null && remaining < maxTokens) return { ok: false, message: `session ${sessionId} has ${remaining} tokens of budget left, task asks for ${maxTokens}` };
    return { ok: true };
  }

  /** Records an accepted task (a turn). */
  noteTurn(owner: SessionOwner, sessionId: string): void {
    const s = this.touch(owner, sessionId);
    s.turns++;
  }

  /** Records where the session ran and what it consumed, at the end of a task. */
  noteCompletion(owner: SessionOwner, sessionId: string, placement: { node_id: string; pool_id: string } | null, tokensOut: number, decodeMs: number): void {
    const s = this.touch(owner, sessionId);
    s.tokens_used += tokensOut;
    s.decode_ms_used += decodeMs;
    if (placement) {
      // KV warmth moves with the session; a different pool means the cache there is cold (no migration).
      s.kv_warmth = tokensOut > 0;
      s.node_id = placement.node_id;
      s.pool_id = placement.pool_id;
    }
  }

  affinity(owner: SessionOwner, sessionId: string): string | undefined {
    return this.live(keyOf(owner, sessionId))?.pool_id ?? undefined;
  }

  /**
   * A session's metadata for its owner; `anyOwner` (admin and read credentials) also finds another
   * owner's session of that id (its own first, then the most recently used).
   */
  info(owner: SessionOwner, sessionId: string, anyOwner = false): SessionInfo | null {
    const s = this.find(owner, sessionId, anyOwner);
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
  budgetHeaders(owner: SessionOwner, sessionId: string): Record<string, string> {
    const s = this.live(keyOf(owner, sessionId));
    const tokens = s ? this.tokensRemaining(s) : this.limits.tokenBudget > 0 ? this.limits.tokenBudget : null;
    const ttl = s ? Math.max(0, s.last_used_ms + this.limits.ttlMs - this.now()) : this.limits.ttlMs;
    return {
      "X-Budget-Tokens-Remaining": tokens === null ? "unlimited" : String(tokens),
      "X-Budget-Time-Remaining-Ms": String(ttl),
      "X-Budget-Cost-Remaining": "unlimited",
    };
  }

  /** Evicts a session of this owner (or, with `anyOwner`, as `info` finds it); false when there is none. */
  delete(owner: SessionOwner, sessionId: string, anyOwner = false): boolean {
    const s = this.find(owner, sessionId, anyOwner);
    return s !== undefined && this.sessions.delete(keyOf(s.owner, s.id));
  }

  private find(owner: SessionOwner, sessionId: string, anyOwner: boolean): Session | undefined {
    const own = this.live(keyOf(owner, sessionId));
    if (own !== undefined || !anyOwner) return own;
    // An operator's lookup: rare, and bounded by the TTL pruning, so a scan (newest last) is fine.
    let found: Session | undefined;
    for (const s of this.sessions.values()) if (s.id === sessionId) found = s;
    return found === undefined ? undefined : this.live(keyOf(found.owner, found.id));
  }

  private tokensRemaining(s: Session): number | null {
    return this.limits.tokenBudget > 0 ? Math.max(0, this.limits.tokenBudget - s.tokens_used) : null;
  }

  private live(key: string): Session | undefined {
    const s = this.sessions.get(key);
    if (s !== undefined && s.last_used_ms + this.limits.ttlMs < this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return s;
  }

  private touch(owner: SessionOwner, sessionId: string): Session {
    const key = keyOf(owner, sessionId);
    const s = this.live(key) ?? { id: sessionId, owner, last_used_ms: 0, turns: 0, tokens_used: 0, decode_ms_used: 0, kv_warmth: false, node_id: null, pool_id: null };
    s.last_used_ms = this.now();
    // Re-inserted at the end: the map's order is the order of last use.
    this.sessions.delete(key);
    this.sessions.set(key, s);
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

/** The map key: owner and id, separated by a character neither a credential id nor a session id contains. */
function keyOf(owner: SessionOwner, sessionId: string): string {
  return `${owner ?? ""}\u0000${sessionId}`;
}

import { randomBytes } from "node:crypto";
import { digestsEqual, tokenDigest } from "./bearer.js";

/** Cookies ignore ports, so each orchestrator on a host names its session cookie after its port. */
export function sessionCookieName(port: number): string {
  return `llorch_session_${port}`;
}
const CODE_TTL_MS = 15 * 60_000;
const SESSION_TTL_MS = 30 * 24 * 3600_000;

/**
 * Browser login the way Jupyter does it: the server prints a URL with a one-time code; opening it
 * trades the code for an HttpOnly session cookie, so the dashboard never sees a bearer token.
 * Codes and sessions are held as SHA-256 digests only.
 */
/** Where sessions outlive a restart (the database); digests and expiry only. */
export interface SessionPersistence {
  load(): Array<{ digest_hex: string; expires_at_ms: number }>;
  save(digestHex: string, expiresAtMs: number): void;
  delete(digestHex: string): void;
}

export class DashboardSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly persistence: SessionPersistence | null = null,
    private readonly now: () => number = Date.now,
  ) {
    for (const s of persistence?.load() ?? []) if (s.expires_at_ms >= this.now()) this.sessions.set(s.digest_hex, s.expires_at_ms);
  }

  /** A new one-time login code, valid for 15 minutes. */
  issueCode(): string {
    const code = randomBytes(16).toString("hex");
    this.codes.set(tokenDigest(code).toString("hex"), this.now() + CODE_TTL_MS);
    return code;
  }

  /** Consumes a login code; returns a session id for the cookie, or null when the code is unknown or used. */
  redeem(code: string): string | null {
    const key = tokenDigest(code).toString("hex");
    const expires = this.codes.get(key);
    this.codes.delete(key);
    if (expires === undefined || expires < this.now()) return null;
    const session = randomBytes(32).toString("hex");
    const digestHex = tokenDigest(session).toString("hex");
    this.sessions.set(digestHex, this.now() + SESSION_TTL_MS);
    this.persistence?.save(digestHex, this.now() + SESSION_TTL_MS);
    return session;
  }

  isValid(session: string): boolean {
    const digest = tokenDigest(session);
    let valid = false;
    for (const [key, expires] of this.sessions) {
      if (digestsEqual(Buffer.from(key, "hex"), digest) && expires >= this.now()) valid = true;
    }
    return valid;
  }

  revoke(session: string): void {
    const digestHex = tokenDigest(session).toString("hex");
    this.sessions.delete(digestHex);
    this.persistence?.delete(digestHex);
  }

  static readonly cookieMaxAgeSeconds = SESSION_TTL_MS / 1000;
}

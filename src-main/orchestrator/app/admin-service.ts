import type { Logger } from "pino";
import type { ApiKeyInfo, CreateApiKeyRequest, CreatedApiKey, LoginCodeResponse } from "../../../src-shared/dashboard/api-keys.js";
import type { LogEntry, LogListQuery } from "../../../src-shared/dashboard/cluster-events.js";
import type { Settings, SettingsUpdate } from "../../../src-shared/dashboard/settings.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { DEFAULT_KEY_SCOPES, mayGrantScopes } from "../../../src-shared/auth/scopes.js";
import type { Identity } from "../../../src-node/route-context.js";
import type { DashboardSessions } from "../auth/dashboard-sessions.js";
import type { TokenSet } from "../auth/token-set.js";
import type { ApiKeyStore } from "../db/api-key-store.js";
import type { AuditLog } from "../db/audit-log.js";
import type { LogRing } from "../logging/log-ring.js";
import type { RuntimeSettings } from "../settings/runtime-settings.js";

const LOGIN_CODE_TTL_MS = 15 * 60_000;

export interface AdminServiceDeps {
  apiKeys: ApiKeyStore;
  tokens: TokenSet;
  /** The token sources that are not API keys (configured, generated), by fingerprint. */
  builtinTokens: { fp6: string; source: "config" | "generated" }[];
  dashboardSessions: DashboardSessions;
  settings: RuntimeSettings;
  logRing: LogRing;
  audit: AuditLog;
  logger: Logger;
  startedAtMs: number;
  publicUrl: () => string;
}

/** The administration area: API keys, dashboard login codes, run-time settings and the log. */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  apiKeys(): ApiKeyInfo[] {
    const builtin = this.deps.builtinTokens.map((t) => ({ id: `${t.source}:${t.fp6}`, name: t.source === "config" ? "LLORCH_API_TOKEN" : "generated token (data dir)", fp6: t.fp6, created_at_ms: this.deps.startedAtMs, revoked_at_ms: null, source: t.source, scopes: ["admin" as const] }));
    const keys = this.deps.apiKeys.list().map((k) => ({ id: k.id, name: k.name, fp6: k.fp6, created_at_ms: k.created_at_ms, revoked_at_ms: k.revoked_at_ms, source: "api-key" as const, scopes: k.scopes }));
    return [...builtin, ...keys];
  }

  /** No key mints more than it holds: the scopes asked for must be within the creator's own. */
  createApiKey(req: CreateApiKeyRequest, actor: Identity): CreatedApiKey {
    const scopes = req.scopes ?? DEFAULT_KEY_SCOPES;
    if (!mayGrantScopes(actor.scopes, scopes)) {
      this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "api_key_create_refused", target: req.name, outcome: "denied", details: { scopes } });
      throw new OrchError("FORBIDDEN_SCOPE", `a credential with scopes ${actor.scopes.join(", ")} cannot create a key with scopes ${scopes.join(", ")}`);
    }
    const { row, key } = this.deps.apiKeys.create(req.name, scopes, actor.credentialId);
    this.deps.tokens.addDigest(Buffer.from(row.digest_hex, "hex"), row.fp6, row.id, row.scopes);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "api_key_created", target: `token:${row.fp6}`, outcome: "success", details: { name: row.name, scopes: row.scopes } });
    this.deps.logger.info({ identity: actor.label, key_fp6: row.fp6, name: row.name, scopes: row.scopes }, "API key created");
    return { id: row.id, name: row.name, fp6: row.fp6, created_at_ms: row.created_at_ms, revoked_at_ms: null, source: "api-key", scopes: row.scopes, key };
  }

  revokeApiKey(id: string, actor: string): void {
    if (id.startsWith("config:") || id.startsWith("generated:")) throw new OrchError("CONFLICT", "configured and generated tokens are changed in the configuration, not revoked here");
    const row = this.deps.apiKeys.revoke(id);
    if (row === null) throw new OrchError("NOT_FOUND", `no API key ${id}`);
    this.deps.tokens.removeKey(id);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "api_key_revoked", target: `token:${row.fp6}`, outcome: "success" });
    this.deps.logger.info({ identity: actor, key_fp6: row.fp6 }, "API key revoked");
  }

  /** A one-time dashboard login code and the URL that redeems it. */
  loginCode(actor: string): LoginCodeResponse {
    const code = this.deps.dashboardSessions.issueCode();
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "login_code_created", target: "dashboard", outcome: "success" });
    return { code, url: `${this.deps.publicUrl()}/login?code=${code}`, expires_in_ms: LOGIN_CODE_TTL_MS };
  }

  settings(): Settings {
    return this.deps.settings.view();
  }

  updateSettings(update: SettingsUpdate, actor: string): Settings {
    const settings = this.deps.settings.apply(update);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "settings_changed", target: "settings", outcome: "success", details: update });
    this.deps.logger.info({ identity: actor, change: update }, "settings changed");
    return settings;
  }

  logs(query: LogListQuery): LogEntry[] {
    return this.deps.logRing.recent(query.limit ?? 1000, query.level);
  }
}

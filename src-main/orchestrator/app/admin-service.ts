import type { Logger } from "pino";
import type { ApiKeyInfo, CreateApiKeyRequest, CreatedApiKey, LoginCodeResponse } from "../../../src-shared/dashboard/api-keys.js";
import { applyKeyLimits, NO_KEY_LIMITS, type KeyLimitsInput } from "../../../src-shared/auth/key-limits.js";
import { usageDay, type UsageQuery, type UsageResponse } from "../../../src-shared/dashboard/key-usage.js";
import type { KeyUsageMeter } from "../auth/key-usage-meter.js";
import type { LogEntry, LogListQuery } from "../../../src-shared/dashboard/cluster-events.js";
import type { Settings, SettingsUpdate } from "../../../src-shared/dashboard/settings.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { DEFAULT_KEY_SCOPES, mayGrantScopes, scopesAdmit } from "../../../src-shared/auth/scopes.js";
import type { Identity } from "../../../src-node/route-context.js";
import type { DashboardSessions } from "../auth/dashboard-sessions.js";
import type { TokenSet } from "../auth/token-set.js";
import { JOIN_CREDENTIAL_PREFIX } from "../auth/join-token-auth.js";
import type { JoinTokenStore } from "../auth/join-token-store.js";
import { RESERVED_NODE_ID_MESSAGE, isReservedNodeId } from "../../../src-shared/staging/staging-job.js";
import { JOIN_TOKEN_DEFAULT_TTL_MS, type CreateJoinTokenRequest, type CreatedJoinToken, type JoinNodeRequest, type JoinNodeResponse, type JoinTokenInfo } from "../../../src-shared/auth/join-tokens.js";
import type { ApiKeyRow, ApiKeyStore } from "../db/api-key-store.js";
import type { AuditLog } from "../db/audit-log.js";
import type { LogRing } from "../logging/log-ring.js";
import type { RuntimeSettings } from "../settings/runtime-settings.js";
import type { ClusterTls } from "../tls/cluster-ca.js";
import { formatJoin } from "../../../src-shared/auth/join-command.js";
import { LogRateLimiter } from "../../../src-node/log-rate-limiter.js";

const LOGIN_CODE_TTL_MS = 15 * 60_000;

/** The operator's configured and generated tokens count as one credential (orchestrator-authenticator.ts). */
const BUILTIN_CREDENTIAL = "builtin";
const CREDENTIAL_NAMES = new Map([
  [BUILTIN_CREDENTIAL, "operator token (LLORCH_API_TOKEN / generated)"],
  ["session", "dashboard session"],
]);

function keyIdOfCredential(credentialId: string): string {
  return credentialId.startsWith("key:") ? credentialId.slice(4) : credentialId;
}

function credentialOfKeyId(keyId: string): string {
  return CREDENTIAL_NAMES.has(keyId) ? keyId : `key:${keyId}`;
}

export interface AdminServiceDeps {
  apiKeys: ApiKeyStore;
  keyUsage: KeyUsageMeter;
  joinTokens: JoinTokenStore;
  /** The credential a registered node is bound to (null: unbound or unknown). */
  nodeOwner: (nodeId: string) => string | null;
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
  /** The cluster CA when TLS is on: join answers carry a certificate for the node's key. */
  clusterTls: ClusterTls | undefined;
  /** Ends the responses a credential still has open (its streams); returns how many. */
  endResponses?: (credentialId: string) => number;
  /** Takes every node the credential registered Offline (tasks fail over); returns their ids. */
  revokeNodesOf?: (credentialId: string) => readonly string[];
  /** Cancels the credential's queued and running tasks; returns how many. */
  cancelTasksOf?: (credentialId: string) => number;
  /** Queued tasks per credential id (`builtin`, `key:<id>`): O(credentials with queued work). */
  queuedByCredential?: () => ReadonlyMap<string | null, number>;
}

/** The administration area: API keys, dashboard login codes, run-time settings and the log. */
export class AdminService {
  /** Refused joins leave no token spent, so one token can be refused in a loop: a few lines a minute, not one each. */
  private readonly joinRefusalLog = new LogRateLimiter();

  constructor(private readonly deps: AdminServiceDeps) {}

  apiKeys(): ApiKeyInfo[] {
    const queued = this.deps.queuedByCredential?.();
    const count = (credentialId: string) => (queued === undefined ? {} : { queued_tasks: queued.get(credentialId) ?? 0 });
    const builtinUsage = { ...this.deps.keyUsage.usedToday(BUILTIN_CREDENTIAL) };
    const builtin = this.deps.builtinTokens.map((t) => ({ id: `${t.source}:${t.fp6}`, name: t.source === "config" ? "LLORCH_API_TOKEN" : "generated token (data dir)", fp6: t.fp6, created_at_ms: this.deps.startedAtMs, revoked_at_ms: null, source: t.source, scopes: ["admin" as const], limits: NO_KEY_LIMITS, usage_today: builtinUsage, ...count(BUILTIN_CREDENTIAL) }));
    const keys = this.deps.apiKeys.list().map((k) => ({ ...this.keyInfo(k), ...count(`key:${k.id}`) }));
    return [...builtin, ...keys];
  }

  private keyInfo(k: ApiKeyRow): ApiKeyInfo {
    return { id: k.id, name: k.name, fp6: k.fp6, created_at_ms: k.created_at_ms, revoked_at_ms: k.revoked_at_ms, source: "api-key", scopes: k.scopes, limits: k.limits, usage_today: { ...this.deps.keyUsage.usedToday(`key:${k.id}`) } };
  }

  /** Sets a key's limits (a field left out: no limit); they apply from its next request. */
  setApiKeyLimits(id: string, req: KeyLimitsInput, actor: string): ApiKeyInfo {
    if (id.startsWith("config:") || id.startsWith("generated:")) throw new OrchError("CONFLICT", "configured and generated tokens are the operator's and have no limits; give clients API keys with limits instead");
    const row = this.deps.apiKeys.get(id);
    if (row === null) throw new OrchError("NOT_FOUND", `no API key ${id}`);
    if (row.revoked_at_ms !== null) throw new OrchError("CONFLICT", `API key ${id} is revoked`);
    const limits = applyKeyLimits(NO_KEY_LIMITS, req);
    const updated = this.deps.apiKeys.setLimits(id, limits) ?? row;
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "api_key_limits_changed", target: `token:${row.fp6}`, outcome: "success", details: { before: row.limits, after: limits } });
    this.deps.logger.info({ identity: actor, key_fp6: row.fp6, limits }, "API key limits changed");
    return this.keyInfo(updated);
  }

  /**
   * Use per credential and UTC day, newest first. A credential that may not read the cluster (an
   * inference key) sees its own use only.
   */
  usage(query: UsageQuery, identity: Identity): UsageResponse {
    const days = query.days ?? 7;
    const now = Date.now();
    const fromDay = usageDay(now - (days - 1) * 86_400_000);
    const seesAll = scopesAdmit(identity.scopes, ["read"]);
    const wanted = query.key_id === undefined ? undefined : credentialOfKeyId(query.key_id);
    if (wanted !== undefined && !seesAll && wanted !== identity.credentialId) throw new OrchError("FORBIDDEN_SCOPE", "a credential without the read scope sees only its own usage; leave key_id out or give your own key's id");
    const only = wanted ?? (seesAll ? undefined : identity.credentialId);
    this.deps.keyUsage.flush();
    const names = new Map(this.deps.apiKeys.list().map((k) => [`key:${k.id}`, k.name]));
    const usage = this.deps.keyUsage.store
      .since(fromDay)
      .filter((r) => only === undefined || r.credential_id === only)
      .map((r) => ({ key_id: keyIdOfCredential(r.credential_id), name: names.get(r.credential_id) ?? CREDENTIAL_NAMES.get(r.credential_id) ?? r.credential_id, day: r.day, requests: r.requests, tokens_in: r.tokens_in, tokens_out: r.tokens_out }));
    return { from_day: fromDay, to_day: usageDay(now), usage };
  }

  /** No key mints more than it holds: the scopes asked for must be within the creator's own. */
  createApiKey(req: CreateApiKeyRequest, actor: Identity): CreatedApiKey {
    const scopes = req.scopes ?? DEFAULT_KEY_SCOPES;
    if (!mayGrantScopes(actor.scopes, scopes)) {
      this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "api_key_create_refused", target: req.name, outcome: "denied", details: { scopes } });
      throw new OrchError("FORBIDDEN_SCOPE", `a credential with scopes ${actor.scopes.join(", ")} cannot create a key with scopes ${scopes.join(", ")}`);
    }
    const { row, key } = this.deps.apiKeys.create(req.name, scopes, actor.credentialId, null, undefined, applyKeyLimits(NO_KEY_LIMITS, req.limits));
    this.deps.tokens.addDigest(Buffer.from(row.digest_hex, "hex"), row.fp6, row.id, row.scopes);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "api_key_created", target: `token:${row.fp6}`, outcome: "success", details: { name: row.name, scopes: row.scopes } });
    this.deps.logger.info({ identity: actor.label, key_fp6: row.fp6, name: row.name, scopes: row.scopes }, "API key created");
    return { ...this.keyInfo(row), key };
  }

  revokeApiKey(id: string, actor: string): void {
    if (id.startsWith("config:") || id.startsWith("generated:")) throw new OrchError("CONFLICT", "configured and generated tokens are changed in the configuration, not revoked here");
    const row = this.deps.apiKeys.revoke(id);
    if (row === null) throw new OrchError("NOT_FOUND", `no API key ${id}`);
    this.deps.tokens.removeKey(id);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "api_key_revoked", target: `token:${row.fp6}`, outcome: "success" });
    this.deps.logger.info({ identity: actor, key_fp6: row.fp6 }, "API key revoked");
    // The nodes it registered are not called with it again: Offline now, not after node_timeout_ms of 401s.
    const offline = this.deps.revokeNodesOf?.(`key:${id}`) ?? [];
    if (offline.length > 0) this.deps.logger.warn({ key_fp6: row.fp6, nodes: offline.length, first_nodes: offline.slice(0, 10) }, "nodes registered with the revoked API key are Offline; their tasks fail over");
    // Its queued and running tasks end (canceled): /v2 and keyed ones would otherwise still run for it.
    const canceled = this.deps.cancelTasksOf?.(`key:${id}`) ?? 0;
    if (canceled > 0) this.deps.logger.info({ key_fp6: row.fp6, tasks: canceled }, "queued and running tasks of the revoked API key canceled");
    // Its open streams end too; on the next turn, so a key revoking itself still gets its own answer.
    const endResponses = this.deps.endResponses;
    if (endResponses !== undefined) {
      setImmediate(() => {
        const ended = endResponses(`key:${id}`);
        if (ended > 0) this.deps.logger.info({ key_fp6: row.fp6, responses: ended }, "open streams of the revoked API key ended");
      });
    }
  }

  /** Join tokens that may still be spent: fingerprints, bound node, expiry, creator; never a secret. */
  joinTokens(): JoinTokenInfo[] {
    return this.deps.joinTokens.unspent().map((r) => ({ id: r.id, fp6: r.fp6, node_id: r.node_id, created_at_ms: r.created_at_ms, expires_at_ms: r.expires_at_ms, created_by: r.created_by }));
  }

  revokeJoinToken(id: string, actor: string): void {
    const result = this.deps.joinTokens.revoke(id);
    if (!result.ok) {
      if (result.reason === "unknown") throw new OrchError("NOT_FOUND", `no join token ${id}`);
      throw new OrchError("CONFLICT", `join token ${id} was already spent; revoke the node's key (DELETE /v2/auth/keys/{id}) instead`, { details: { reason: "join_token_used" } });
    }
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "join_token_revoked", target: `join:${result.row.fp6}`, outcome: "success", details: { node_id: result.row.node_id } });
    this.deps.logger.info({ identity: actor, join_fp6: result.row.fp6, node_id: result.row.node_id }, "join token revoked");
  }

  /** A single-use join token for one worker, optionally bound in advance to a node id; shown once. */
  createJoinToken(req: CreateJoinTokenRequest, actor: Identity): CreatedJoinToken {
    if (req.node_id !== undefined && isReservedNodeId(req.node_id)) throw new OrchError("INVALID_PARAMS", RESERVED_NODE_ID_MESSAGE, { details: { reason: "reserved_node_id" } });
    // A token for a node id that is bound could only ever be refused at the join: say so now.
    if (req.node_id !== undefined && (this.deps.nodeOwner(req.node_id) !== null || this.deps.apiKeys.boundTo(req.node_id).length > 0)) {
      throw new OrchError("CONFLICT", `node ${req.node_id} is already bound to a credential, so a join for it would be refused; revoke its key and POST /v2/nodes/${req.node_id}/forget first`, { details: { reason: "node_already_bound" } });
    }
    const { row, token } = this.deps.joinTokens.create(req.node_id ?? null, req.ttl_ms ?? JOIN_TOKEN_DEFAULT_TTL_MS, actor.credentialId);
    this.deps.joinTokens.prune();
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "join_token_created", target: `join:${row.fp6}`, outcome: "success", details: { node_id: row.node_id, expires_at_ms: row.expires_at_ms } });
    this.deps.logger.info({ identity: actor.label, join_fp6: row.fp6, node_id: row.node_id, expires_at_ms: row.expires_at_ms }, "join token created");
    const caFingerprint = this.deps.clusterTls?.caFingerprint ?? null;
    return { id: row.id, token, fp6: row.fp6, node_id: row.node_id, expires_at_ms: row.expires_at_ms, ca_fingerprint: caFingerprint, join: formatJoin((req.orchestrator_url ?? this.deps.publicUrl()).replace(/\/+$/, ""), token, caFingerprint) };
  }

  /**
   * Spends a join token (the caller's credential) for a `worker` key bound to `req.node_id`. The node id
   * must match the token's, if it names one, and must not be bound to another credential already.
   */
  joinNode(req: JoinNodeRequest, actor: Identity): JoinNodeResponse {
    if (!actor.credentialId.startsWith(JOIN_CREDENTIAL_PREFIX)) {
      throw new OrchError("FORBIDDEN_SCOPE", "POST /v2/nodes/join takes a join token (Authorization: Bearer llj_…), not an API key or session");
    }
    const row = this.deps.joinTokens.get(actor.credentialId.slice(JOIN_CREDENTIAL_PREFIX.length));
    if (row === null) throw new OrchError("BAD_TOKEN", "join token not recognised", { details: { reason: "join_token_unknown" } });
    const refuse = (reason: string, message: string): never => {
      this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "node_join_refused", target: req.node_id, outcome: "denied", details: { reason } });
      const decision = this.joinRefusalLog.decide(`${actor.credentialId}|${reason}`);
      if (decision.log) this.deps.logger.warn({ identity: actor.label, node_id: req.node_id, reason, suppressed_since_last: decision.suppressed }, "node join refused");
      throw new OrchError("CONFLICT", message, { details: { reason } });
    };
    // Before anything is spent: a key bound to this id could never register.
    if (isReservedNodeId(req.node_id)) throw new OrchError("INVALID_PARAMS", RESERVED_NODE_ID_MESSAGE, { details: { reason: "reserved_node_id" } });
    if (row.node_id !== null && row.node_id !== req.node_id) refuse("join_token_node_mismatch", `this join token is for node ${row.node_id}, not ${req.node_id}`);
    if (this.deps.nodeOwner(req.node_id) !== null || this.deps.apiKeys.boundTo(req.node_id).length > 0) {
      refuse("node_already_bound", `node ${req.node_id} is already bound to a credential; revoke its key and POST /v2/nodes/${req.node_id}/forget before joining it again`);
    }
    // The certificate is made before the token is spent: a bad key is a 400 that leaves the token usable.
    let certificate: string | null = null;
    if (this.deps.clusterTls !== undefined && req.tls_public_key !== undefined) {
      try {
        certificate = this.deps.clusterTls.issueNodeCertificate(req.node_id, req.tls_public_key);
      } catch (error) {
        throw new OrchError("INVALID_PARAMS", `tls_public_key: ${error instanceof Error ? error.message : String(error)}`, { details: { reason: "bad_tls_public_key" } });
      }
    }
    // A key the agent proposes must be one no credential has (a copied data dir would otherwise share it).
    if (req.key !== undefined && this.deps.apiKeys.hasKey(req.key)) refuse("join_key_in_use", "the key this agent proposes is already in use: give each agent its own data dir (delete its node-key.pending) and join again");
    const issued = this.deps.joinTokens.spend(row.id, req.node_id, () => this.deps.apiKeys.create(`node ${req.node_id} (join ${row.fp6})`, ["worker"], actor.credentialId, req.node_id, req.key));
    if (issued === null) {
      const reason = this.deps.joinTokens.refusalOf(this.deps.joinTokens.get(row.id) ?? row);
      throw new OrchError("BAD_TOKEN", reason === "join_token_expired" ? "join token expired" : "join token already used", { details: { reason } });
    }
    const { row: key, key: secret } = issued;
    this.deps.tokens.addDigest(Buffer.from(key.digest_hex, "hex"), key.fp6, key.id, key.scopes);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "node_joined", target: req.node_id, outcome: "success", details: { key: `token:${key.fp6}`, certificate: certificate !== null } });
    this.deps.logger.info({ identity: actor.label, node_id: req.node_id, key_fp6: key.fp6, certificate: certificate !== null }, "node joined: worker key issued");
    const tls = certificate !== null && this.deps.clusterTls !== undefined ? { certificate, ca_certificate: this.deps.clusterTls.caPem, ca_fingerprint: this.deps.clusterTls.caFingerprint } : null;
    return { node_id: req.node_id, key_id: key.id, key: secret, fp6: key.fp6, scopes: key.scopes, tls };
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
    const { settings, changed } = this.deps.settings.apply(update);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "settings_changed", target: "settings", outcome: "success", details: changed });
    this.deps.logger.info({ identity: actor, change: changed }, "settings changed");
    return settings;
  }

  logs(query: LogListQuery): LogEntry[] {
    return this.deps.logRing.recent(query.limit ?? 1000, query.level);
  }
}

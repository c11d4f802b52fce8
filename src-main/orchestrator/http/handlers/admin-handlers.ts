import { DEFAULT_KEY_SCOPES, mayGrantScopes } from "../../../../src-shared/auth/scopes.js";
import { encodeSseComment } from "../../../../src-shared/streaming/sse-codec.js";
import type { CreateApiKeyRequest } from "../../../../src-shared/dashboard/api-keys.js";
import type { LogListQuery } from "../../../../src-shared/dashboard/cluster-events.js";
import type { SettingsUpdate } from "../../../../src-shared/dashboard/settings.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { openSse } from "../../../../src-node/sse-writer.js";

const LOGIN_CODE_TTL_MS = 15 * 60_000;

/** Dashboard and administration routes: node detail and drain, the cluster feed, settings, logs, API keys. */
export function adminHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const nodeOr404 = (id: string) => {
    const node = ctx.registry.get(id);
    if (node === undefined) throw new OrchError("NODE_NOT_FOUND", `no node ${id}`);
    return node;
  };

  return {
    getNode: ({ params, res }) => {
      const node = nodeOr404(params.id as string);
      res.json({ ...ctx.registry.describe(node, Date.now()), events: ctx.registry.events(node.node_id) });
    },

    drainNode: ({ params, res, identity }) => {
      const node = nodeOr404(params.id as string);
      ctx.registry.setEligibility(node.node_id, "ineligible");
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "node_drained", target: node.node_id, outcome: "success" });
      res.json({ node_id: node.node_id, drained: true, eligibility: "ineligible" });
    },

    undrainNode: ({ params, res, identity }) => {
      const node = nodeOr404(params.id as string);
      ctx.registry.setEligibility(node.node_id, "eligible");
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "node_undrained", target: node.node_id, outcome: "success" });
      res.json({ node_id: node.node_id, drained: false, eligibility: "eligible" });
    },

    streamClusterEvents: ({ req, res }) => {
      const sse = openSse(res);
      const unsubscribe = ctx.feed.subscribe((event) => sse.write(`event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`));
      sse.write(encodeSseComment("subscribed"));
      req.on("close", unsubscribe);
    },

    getSettings: ({ res }) => {
      res.json(ctx.settings());
    },

    updateSettings: ({ body, res, identity }) => {
      const update = body as SettingsUpdate;
      const settings = ctx.applySettings(update);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "settings_changed", target: "settings", outcome: "success", details: update });
      ctx.logger.info({ identity: identity.label, change: update }, "settings changed");
      res.json(settings);
    },

    listLogs: ({ query, res }) => {
      const q = query as LogListQuery;
      res.json({ entries: ctx.logRing.recent(q.limit ?? 1000, q.level) });
    },

    listApiKeys: ({ res }) => {
      const builtin = ctx.builtinTokens.map((t) => ({ id: `${t.source}:${t.fp6}`, name: t.source === "config" ? "LLORCH_API_TOKEN" : "generated token (data dir)", fp6: t.fp6, created_at_ms: ctx.startedAtMs, revoked_at_ms: null, source: t.source, scopes: ["admin" as const] }));
      const keys = ctx.apiKeys.list().map((k) => ({ id: k.id, name: k.name, fp6: k.fp6, created_at_ms: k.created_at_ms, revoked_at_ms: k.revoked_at_ms, source: "api-key" as const, scopes: k.scopes }));
      res.json({ keys: [...builtin, ...keys] });
    },

    createApiKey: ({ body, res, identity }) => {
      const request = body as CreateApiKeyRequest;
      const scopes = request.scopes ?? DEFAULT_KEY_SCOPES;
      // The route is admin-only today; this holds even if that changes: no key mints more than it holds.
      if (!mayGrantScopes(identity.scopes, scopes)) {
        ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "api_key_create_refused", target: request.name, outcome: "denied", details: { scopes } });
        throw new OrchError("FORBIDDEN_SCOPE", `a credential with scopes ${identity.scopes.join(", ")} cannot create a key with scopes ${scopes.join(", ")}`);
      }
      const { row, key } = ctx.apiKeys.create(request.name, scopes, identity.credentialId);
      ctx.tokens.addDigest(Buffer.from(row.digest_hex, "hex"), row.fp6, row.id, row.scopes);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "api_key_created", target: `token:${row.fp6}`, outcome: "success", details: { name: row.name, scopes: row.scopes } });
      ctx.logger.info({ identity: identity.label, key_fp6: row.fp6, name: row.name, scopes: row.scopes }, "API key created");
      res.status(201).json({ id: row.id, name: row.name, fp6: row.fp6, created_at_ms: row.created_at_ms, revoked_at_ms: null, source: "api-key", scopes: row.scopes, key });
    },

    revokeApiKey: ({ params, res, identity }) => {
      const id = params.id as string;
      if (id.startsWith("config:") || id.startsWith("generated:")) throw new OrchError("CONFLICT", "configured and generated tokens are changed in the configuration, not revoked here");
      const row = ctx.apiKeys.revoke(id);
      if (row === null) throw new OrchError("NOT_FOUND", `no API key ${id}`);
      ctx.tokens.removeKey(id);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "api_key_revoked", target: `token:${row.fp6}`, outcome: "success" });
      ctx.logger.info({ identity: identity.label, key_fp6: row.fp6 }, "API key revoked");
      res.status(204).end();
    },

    createLoginCode: ({ res, identity }) => {
      const code = ctx.dashboardSessions.issueCode();
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "login_code_created", target: "dashboard", outcome: "success" });
      res.status(201).json({ code, url: `${ctx.publicUrl()}/login?code=${code}`, expires_in_ms: LOGIN_CODE_TTL_MS });
    },
  };
}

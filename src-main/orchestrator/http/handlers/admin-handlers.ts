import { encodeSseComment } from "../../../../src-shared/streaming/sse-codec.js";
import type { CreateJoinTokenRequest } from "../../../../src-shared/auth/join-tokens.js";
import type { CreateApiKeyRequest } from "../../../../src-shared/dashboard/api-keys.js";
import type { KeyLimitsInput } from "../../../../src-shared/auth/key-limits.js";
import type { UsageQuery } from "../../../../src-shared/dashboard/key-usage.js";
import type { ClusterEventsQuery, LogListQuery } from "../../../../src-shared/dashboard/cluster-events.js";
import type { SettingsUpdate } from "../../../../src-shared/dashboard/settings.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { openSse } from "../../../../src-node/sse-writer.js";
import { watchOptions } from "../watch-options.js";

/** Dashboard and administration routes: node detail and drain, the cluster feed, settings, logs, API keys. */
export function adminHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getNode: ({ params, res }) => {
      res.json(ctx.nodes.detail(params.id as string));
    },

    drainNode: ({ params, res, identity }) => {
      ctx.nodes.setEligibility(params.id as string, "ineligible", identity.label);
      res.json({ node_id: params.id, drained: true, eligibility: "ineligible" });
    },

    undrainNode: ({ params, res, identity }) => {
      ctx.nodes.setEligibility(params.id as string, "eligible", identity.label);
      res.json({ node_id: params.id, drained: false, eligibility: "eligible" });
    },

    streamClusterEvents: ({ req, res, query, identity }) => {
      const sse = openSse(res, {}, watchOptions(ctx.config()));
      // Log lines are admin-only (GET /v2/logs); a `read` key gets the rest of the stream.
      const unsubscribe = ctx.feed.subscribe((frame) => sse.write(frame), (query as ClusterEventsQuery).protocol === "2" ? 2 : 1, { logs: identity.scopes.includes("admin") });
      sse.write(encodeSseComment("subscribed"));
      req.on("close", unsubscribe);
    },

    getSettings: ({ res }) => {
      res.json(ctx.admin.settings());
    },

    updateSettings: ({ body, res, identity }) => {
      res.json(ctx.admin.updateSettings(body as SettingsUpdate, identity.label));
    },

    listLogs: ({ query, res }) => {
      res.json({ entries: ctx.admin.logs(query as LogListQuery) });
    },

    listApiKeys: ({ res }) => {
      res.json({ keys: ctx.admin.apiKeys() });
    },

    createApiKey: ({ body, res, identity }) => {
      res.status(201).json(ctx.admin.createApiKey(body as CreateApiKeyRequest, identity));
    },

    setApiKeyLimits: ({ params, body, res, identity }) => {
      res.json(ctx.admin.setApiKeyLimits(params.id as string, body as KeyLimitsInput, identity.label));
    },

    getUsage: ({ query, res, identity }) => {
      res.json(ctx.admin.usage(query as UsageQuery, identity));
    },

    revokeApiKey: ({ params, res, identity }) => {
      ctx.admin.revokeApiKey(params.id as string, identity.label);
      res.status(204).end();
    },

    createJoinToken: ({ body, res, identity }) => {
      res.status(201).json(ctx.admin.createJoinToken(body as CreateJoinTokenRequest, identity));
    },

    listJoinTokens: ({ res }) => {
      res.json({ join_tokens: ctx.admin.joinTokens() });
    },

    revokeJoinToken: ({ params, res, identity }) => {
      ctx.admin.revokeJoinToken(params.id as string, identity.label);
      res.status(204).end();
    },

    createLoginCode: ({ res, identity }) => {
      res.status(201).json(ctx.admin.loginCode(identity.label));
    },
  };
}

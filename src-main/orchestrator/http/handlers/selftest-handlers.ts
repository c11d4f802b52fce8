import type { SelftestRequest } from "../../../../src-shared/selftest/selftest.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";

/** Self-test routes (admin): start one bounded run, read its progress and report, cancel it. */
export function selftestHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    startSelftest: ({ body, res, identity }) => {
      res.status(202).json(ctx.selftest.start(body as SelftestRequest, identity.label));
    },
    listSelftests: ({ res }) => {
      res.json({ runs: ctx.selftest.list() });
    },
    getSelftest: ({ params, res }) => {
      res.json(ctx.selftest.get(params.id as string));
    },
    cancelSelftest: async ({ params, res, identity }) => {
      res.json(await ctx.selftest.cancel(params.id as string, identity.label));
    },
  };
}

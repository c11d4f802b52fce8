import type express from "express";
import { AuthFailureLimiter } from "../../src-node/auth-failure-limiter.js";
import { buildApp } from "../../src-node/build-app.js";
import type { BodyLimits } from "../../src-node/body-deadline.js";
import { hostOriginGuard } from "../../src-node/host-origin-guard.js";
import { repeatedHeaderGuard } from "../../src-node/repeated-headers.js";
import { WORKER_ROUTES } from "../../src-shared/contract/worker-routes.js";
import type { InPlaceFiles } from "../catalog/in-place-files.js";
import type { GrantVerifier } from "../staging/grant-verifier.js";
import type { ModelPulls } from "../staging/model-pulls.js";
import { stagingHandlers } from "./staging-handlers.js";
import { workerAuthenticator } from "./worker-authenticator.js";
import { workerHandlers, type WorkerHandlerDeps } from "./worker-handlers.js";

export type { ReloadResult } from "./worker-handlers.js";

export interface WorkerApiDeps extends WorkerHandlerDeps {
  token: string;
  /** Host names accepted in the Host header besides loopback ones; undefined disables the check (non-loopback bind). */
  allowedHosts: readonly string[] | undefined;
  /** Staging: pulls from peers, and the verifier of grants peers present to read from this node. */
  pulls: ModelPulls;
  grants: GrantVerifier;
  /** Model files served where they are (POST /v2/models/in-place). */
  inPlace: InPlaceFiles;
  /** Tests shorten the body deadline and upload rate; production uses the defaults. */
  bodyLimits?: BodyLimits;
}

/**
 * The worker's own HTTP API, routed from the contract's WORKER_ROUTES: /health is open, every other
 * route needs the worker's token, and each answers exactly the status its route declares.
 */
export function createWorkerApp(deps: WorkerApiDeps): express.Express {
  return buildApp({
    routes: WORKER_ROUTES,
    handlers: { ...workerHandlers(deps), ...stagingHandlers(deps) },
    authenticator: workerAuthenticator(deps.token, deps.log, deps.grants),
    logger: deps.log,
    serverName: "worker",
    guards: [repeatedHeaderGuard(), ...(deps.allowedHosts === undefined ? [] : [hostOriginGuard({ loopbackBind: true, extraHosts: deps.allowedHosts })])],
    authFailures: new AuthFailureLimiter(),
    ...(deps.bodyLimits !== undefined ? { bodyLimits: deps.bodyLimits } : {}),
    ...(deps.tracing !== undefined ? { tracing: deps.tracing } : {}),
  });
}

#!/usr/bin/env node
// Headless entry: serves the orchestrator and the dashboard without a display (servers, Kubernetes,
// CI) and is what `npm start` falls back to when Electron cannot start. `--home` adds a local worker.
import { parseArgs } from "node:util";
import { ConfigError, StartupRefused, createLogger, createOrchestrator, ignoredOrchestratorEnv, loadOrchestratorConfigWithPins, ORCHESTRATOR_VERSION } from "../orchestrator/index.js";
import { chooseLogFormat, prettyDestination, type LogFormat } from "../../src-node/pretty-log.js";
import { LocalWorkerSupervisor } from "../local-worker/local-worker-supervisor.js";
import { localModelsDir } from "../local-worker/models-dir.js";
import { awaitReady } from "./await-ready.js";
import { JOIN_TOKEN_USAGE, runJoinTokenCommand } from "./join-token-command.js";
import { runSelftestCommand, SELFTEST_USAGE } from "./selftest-command.js";
import { fileFailureMessage } from "../../src-node/file-failure.js";
import { listenFailureMessage } from "../../src-node/listen-failure.js";

/** How long --home waits for the local worker's pool before printing the URL anyway (--ready-timeout). */
const DEFAULT_READY_TIMEOUT_S = 180;

const USAGE = `llama-orch ${ORCHESTRATOR_VERSION} — orchestrator and dashboard for local LLM inference

Usage: llama-orch [options]
       llama-orch join-token <create|list|revoke> [options]   (join tokens for workers; --help for more)
       llama-orch selftest [--stop-node <id>] [--json] [--out report.json]   (measure this cluster; --help for more;
                         also --hang-ms, --samples, --fairness-tasks, --sections, --url)

Options:
  --config <file.json>   configuration file (env vars win over it; see docs/CONFIGURATION.md)
  --bind <host:port>     listen address (ORCHESTRATORD_BIND_ADDR, default 127.0.0.1:8080)
  --data-dir <dir>       database, generated token and logs (LLORCH_DATA_DIR)
  --home                 HOME profile: also run a worker agent on this machine
  --log-format <f>       json | pretty (default: pretty on a terminal, JSON lines when piped)
  --ready-timeout <s>    with --home: how long to wait for the local worker's pool to be ready
                         before printing the URL anyway, with the reason (default ${DEFAULT_READY_TIMEOUT_S})
  --models-dir <dir>     models folder of the local worker (POOL_MANAGERD_MODELS_DIR, default
                         ~/.cache/llama-orch/models; a demo model is generated only when it
                         holds no model)
  -h, --help             this help
  -v, --version          print the version
`;

const MODELS_DIR_FROM = { flag: "--models-dir", env: "POOL_MANAGERD_MODELS_DIR", settings: "settings", default: "the worker's default; set POOL_MANAGERD_MODELS_DIR or --models-dir" } as const;

async function main(): Promise<number> {
  // `join-token …` and `selftest …` talk to a running orchestrator; their own flags follow the subcommand.
  const argv = process.argv.slice(2);
  const subcommand = argv[0] === "join-token" || argv[0] === "selftest" ? argv[0] : null;
  const sub = subcommand !== null ? argv.slice(1) : null;
  if (sub !== null && (sub.includes("--help") || sub.includes("-h"))) {
    process.stdout.write(`${subcommand === "selftest" ? SELFTEST_USAGE : JOIN_TOKEN_USAGE}\n`);
    return 0;
  }
  // --config / --data-dir / --bind locate the orchestrator for the subcommand too.
  const located = sub === null ? argv : sub.flatMap((a, i) => (["--config", "--data-dir", "--bind"].includes(a) ? [a, sub[i + 1] ?? ""] : []));
  let args;
  try {
    args = parseArgs({
      args: located,
      options: {
        config: { type: "string" },
        bind: { type: "string" },
        "data-dir": { type: "string" },
        home: { type: "boolean", default: false },
        "models-dir": { type: "string" },
        "ready-timeout": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${ORCHESTRATOR_VERSION}\n`);
    return 0;
  }

  const readyTimeoutS = args["ready-timeout"] === undefined ? DEFAULT_READY_TIMEOUT_S : Number(args["ready-timeout"]);
  if (!Number.isFinite(readyTimeoutS) || readyTimeoutS < 0) {
    process.stderr.write(`llama-orch: --ready-timeout: expected a number of seconds, got "${args["ready-timeout"]}"\n`);
    return 2;
  }

  let config;
  let pinned;
  try {
    ({ config, pinned } = loadOrchestratorConfigWithPins({
      ...(args.config !== undefined ? { file: args.config } : {}),
      overrides: { ...(args.bind !== undefined ? { bind_addr: args.bind } : {}), ...(args["data-dir"] !== undefined ? { data_dir: args["data-dir"] } : {}) },
    }));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`llama-orch: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const line of ignoredOrchestratorEnv()) process.stderr.write(`llama-orch: warning: ${line}\n`);
  if (sub !== null) {
    const rest = sub.filter((a, i) => !["--config", "--data-dir", "--bind"].includes(a) && !["--config", "--data-dir", "--bind"].includes(sub[i - 1] ?? ""));
    const write = (t: string) => process.stdout.write(`${t}\n`);
    const warn = (t: string) => process.stderr.write(`${t}\n`);
    return subcommand === "selftest" ? runSelftestCommand(rest, config, process.env, write, warn) : runJoinTokenCommand(rest, config, process.env, write, warn);
  }

  let format: LogFormat;
  try {
    format = chooseLogFormat(args["log-format"], process.stdout.isTTY === true);
  } catch (err) {
    process.stderr.write(`llama-orch: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // A person at a terminal reads one-line logs; pipes and journald get JSON lines.
  const destination = format === "pretty" ? prettyDestination() : undefined;
  const logger = destination !== undefined ? createLogger(config.log_level, "orchestrator", destination) : createLogger(config.log_level, "orchestrator");
  let orchestrator;
  try {
    orchestrator = createOrchestrator({ config, pinned, ...(destination !== undefined ? { logDestination: destination } : {}) });
  } catch (err) {
    if (err instanceof StartupRefused) {
      logger.error({ event: "startup_refused", bind_addr: config.bind_addr, data_dir: config.data_dir }, err.message);
      logger.flush();
      process.stderr.write(`llama-orch: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
  const url = await orchestrator.listen();

  let worker: LocalWorkerSupervisor | null = null;
  let modelsLine: string | null = null;
  if (args.home) {
    const models = localModelsDir({ flag: args["models-dir"] });
    modelsLine = `  Models:     ${models.dir} (${MODELS_DIR_FROM[models.source]})`;
    worker = new LocalWorkerSupervisor({
      orchestratorUrl: url,
      token: orchestrator.apiToken.token,
      caFingerprint: orchestrator.caFingerprint,
      modelsDir: models.dir,
      dataDir: config.data_dir,
      nodeId: "local",
      demoModelWhenEmpty: true,
      logger: orchestrator.logger,
    });
    await worker.start();
  }

  // The URL is printed when a request would be answered: with --home, once the local worker's pool is
  // ready (a progress line meanwhile, bounded); without it, at once with what /ready says.
  let notReady: string | null = null;
  if (args.home) {
    const outcome = await awaitReady({
      notReadyReason: () => orchestrator.notReadyReason(),
      timeoutMs: readyTimeoutS * 1000,
      onProgress: (reason, elapsedMs) => process.stdout.write(`llama-orch: waiting for the local worker to be ready (${reason}) — ${Math.round(elapsedMs / 1000)} s\n`),
    });
    if (!outcome.ready) notReady = `not ready after ${Math.round(outcome.elapsedMs / 1000)} s: ${outcome.reason}. Requests wait in the queue until a pool is ready; the dashboard shows the local worker's state and log.`;
  } else {
    const reason = orchestrator.notReadyReason();
    if (reason !== null) notReady = `not ready yet: ${reason}. GET /ready answers 200 once a worker's pool is ready.`;
  }

  const code = orchestrator.issueLoginCode();
  const tokenWhere = orchestrator.apiToken.source === "generated" ? `in ${orchestrator.apiToken.path}` : "from LLORCH_API_TOKEN";
  process.stdout.write(
    [
      "",
      `llama-orch ${ORCHESTRATOR_VERSION} is ${notReady === null ? "ready" : "running"}${args.home ? " with a local worker" : ""}.`,
      ...(notReady !== null ? [`  Note:       ${notReady}`] : []),
      `  Dashboard:  ${url}/login?code=${code}`,
      `  API:        ${url}/v1 (OpenAI-compatible) and ${url}/v2 — bearer token ${tokenWhere} (fp6 ${orchestrator.apiToken.fp6})`,
      ...(modelsLine !== null ? [modelsLine] : []),
      `  Add a worker on another machine: llama-orch join-token create (prints its llama-orch-worker start --join … command)`,
      "",
    ].join("\n") + "\n",
  );

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    // A second Ctrl-C (or SIGTERM) while running tasks get their grace period exits at once, as the
    // worker does: it was ignored and the process looked hung for up to shutdown_grace_ms. Nothing
    // acknowledged is lost: the journal is what a restart recovers from, as after a crash.
    if (shuttingDown) {
      logger.warn({ signal }, "second signal: exiting without waiting for running tasks (they end WORKER_RESET at the next start)");
      logger.flush();
      process.stderr.write("llama-orch: second signal: exiting without waiting for running tasks\n");
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    // The queue first: the local worker's leaving would fail every queued task (no node holds its model).
    orchestrator.closeQueue();
    await worker?.stop();
    await orchestrator.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    // One line for the operator; the stack only when asked for (LLORCH_LOG_LEVEL=debug or trace).
    const debug = ["debug", "trace"].includes(process.env.LLORCH_LOG_LEVEL ?? "");
    const known = listenFailureMessage(err) ?? fileFailureMessage(err);
    const line = known ?? `unexpected error: ${err instanceof Error ? err.message : String(err)}${debug ? "" : " (LLORCH_LOG_LEVEL=debug prints its stack)"}`;
    process.stderr.write(`llama-orch: ${line}\n${known === undefined && debug && err instanceof Error && err.stack !== undefined ? `${err.stack}\n` : ""}`);
    process.exit(1);
  },
);

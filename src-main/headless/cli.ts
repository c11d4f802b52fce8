#!/usr/bin/env node
// Headless entry: serves the orchestrator and the dashboard without a display (servers, Kubernetes,
// CI) and is what `npm start` falls back to when Electron cannot start. `--home` adds a local worker.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, StartupRefused, createLogger, createOrchestrator, loadOrchestratorConfigWithPins, ORCHESTRATOR_VERSION } from "../orchestrator/index.js";
import { LocalWorkerSupervisor } from "../local-worker/local-worker-supervisor.js";

const USAGE = `llama-orch ${ORCHESTRATOR_VERSION} — orchestrator and dashboard for local LLM inference

Usage: llama-orch [options]

Options:
  --config <file.json>   configuration file (env vars win over it; see docs/CONFIGURATION.md)
  --bind <host:port>     listen address (ORCHESTRATORD_BIND_ADDR, default 127.0.0.1:8080)
  --data-dir <dir>       database, generated token and logs (LLORCH_DATA_DIR)
  --home                 HOME profile: also run a worker agent on this machine
  --models-dir <dir>     models folder of the local worker (default <data-dir>/models; a demo
                         model is generated when it is empty)
  -h, --help             this help
  -v, --version          print the version
`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: "string" },
        bind: { type: "string" },
        "data-dir": { type: "string" },
        home: { type: "boolean", default: false },
        "models-dir": { type: "string" },
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

  const logger = createLogger(config.log_level, "orchestrator");
  let orchestrator;
  try {
    orchestrator = createOrchestrator({ config, pinned });
  } catch (err) {
    if (err instanceof StartupRefused) {
      logger.error({ event: "startup_bind_refused", bind_addr: config.bind_addr }, err.message);
      logger.flush();
      process.stderr.write(`llama-orch: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
  const url = await orchestrator.listen();

  let worker: LocalWorkerSupervisor | null = null;
  if (args.home) {
    worker = new LocalWorkerSupervisor({
      orchestratorUrl: url,
      token: orchestrator.apiToken.token,
      modelsDir: args["models-dir"] ?? join(config.data_dir, "models"),
      dataDir: config.data_dir,
      nodeId: "local",
      demoModelWhenEmpty: true,
      logger: orchestrator.context.logger,
    });
    await worker.start();
  }

  const code = orchestrator.issueLoginCode();
  const tokenWhere = orchestrator.apiToken.source === "generated" ? `in ${orchestrator.apiToken.path}` : "from LLORCH_API_TOKEN";
  process.stdout.write(
    [
      "",
      `llama-orch ${ORCHESTRATOR_VERSION} is running${args.home ? " with a local worker" : ""}.`,
      `  Dashboard:  ${url}/login?code=${code}`,
      `  API:        ${url}/v1 (OpenAI-compatible) and ${url}/v2 — bearer token ${tokenWhere} (fp6 ${orchestrator.apiToken.fp6})`,
      `  Add a worker on another machine: ORCHESTRATORD_URL=<this machine's URL> LLORCH_API_TOKEN=<token> llama-orch-worker start`,
      "",
    ].join("\n") + "\n",
  );

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
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
    process.stderr.write(`llama-orch: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
// llama-orch-worker: the headless worker agent (pool-managerd's job). See docs/WORKER.md.
import { createWorkerAgent } from "./agent.js";
import { startLoopStalls } from "./system/test-fault-hooks.js";
import { decideApiToken } from "./auth/token-policy.js";
import { tokenFingerprint } from "./auth/token-fingerprint.js";
import { parseCommandLine, type ParsedCommandLine } from "./config/cli-flags.js";
import { loadWorkerConfig } from "./config/load-worker-config.js";
import { ignoredWorkerEnv } from "./config/config-layers.js";
import { runDoctor } from "./doctor/doctor.js";
import { runEngineCommand } from "./engine/llama-server/engine-command.js";
import { createLogger, synchronousStdout } from "./logging/logger.js";
import { chooseLogFormat, prettyDestination } from "../src-node/pretty-log.js";
import { workerVersion } from "./version.js";
import { loadNodeTls } from "./tls/node-tls.js";
import { fileFailureMessage } from "../src-node/file-failure.js";
import { listenFailureMessage } from "../src-node/listen-failure.js";
import { DATA_DIR_IN_USE_EXIT, lockWorkerDataDir } from "./system/data-dir-lock.js";

const USAGE = `Usage: llama-orch-worker [start|doctor|engine build|engine path] [options]

Commands:
  start                  run the worker agent (default)
  doctor                 check backend, GPUs, models and orchestrator; exit 1 on problems
  engine build           build llama-server (CPU, OpenMP) from the llama.cpp source node-llama-cpp ships,
                         into <data dir>/llama-server/<version>/ (or --out <dir>; --jobs <n>); needs git, cmake, g++
  engine path            print where pools with "engine": "llama-server" look for the binary
  engine build --engine node-llama-cpp
                         build node-llama-cpp's addon natively (-march=native, OpenMP) into
                         <data dir>/node-llama-cpp-native/<version>/ (or --out; --jobs, --node-headers <dir>);
                         CPU pools load it instead of the prebuilt binary (node_llama_cpp_addon)
  engine path --engine node-llama-cpp   print where node-llama-cpp pools look for the native build

Options (each also settable by env var or config file; flags win):
  --config <file.json>           config file (env POOL_MANAGERD_CONFIG)
  --node-id <id>                 POOL_MANAGERD_NODE_ID (default: hostname)
  --machine-id <id>              POOL_MANAGERD_MACHINE_ID (default: node id)
  --bind <host:port>             POOL_MANAGERD_BIND_ADDR (default 127.0.0.1:9200; port 0 = any)
  --advertise-url <url>          POOL_MANAGERD_ADVERTISE_URL (default: from the bound address)
  --orchestrator-url <url>       ORCHESTRATORD_URL (unset: standalone, no registration)
  --join <url>#<token>[@sha256:<fp>]   LLORCH_JOIN: orchestrator URL, join token and pinned CA fingerprint in one
  --api-token-file <file>        file holding LLORCH_API_TOKEN (env LLORCH_API_TOKEN / LLORCH_API_TOKEN_FILE)
  --heartbeat-interval <secs>    POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS (default 1)
  --models-dir <dir>             POOL_MANAGERD_MODELS_DIR (default ~/.cache/llama-orch/models)
  --runtime-dir <dir>            POOL_MANAGERD_RUNTIME_DIR (handoff files; default <data dir>/engines)
  --data-dir <dir>               POOL_MANAGERD_DATA_DIR (default ~/.local/state/llama-orch-worker)
  --pool id=..,model=..[,slots=N][,device=cpu|auto|N][,context_size=N]   repeatable; POOL_MANAGERD_POOLS (';'-separated)
                                 [,engine=node-llama-cpp|llama-server]
  --threads <n>                  POOL_MANAGERD_THREADS (default 1 on <=2 cores, else cores-1)
  --slots <n>                    POOL_MANAGERD_AUTO_POOL_SLOTS: slots of pools derived from the models dir
  --log-level <level>            LLORCH_LOG_LEVEL (fatal|error|warn|info|debug|trace|silent)
  --log-format <json|pretty>     default: pretty on a terminal, JSON lines when piped
  --exit-with-stdin              drain and exit when standard input closes (used by the app's supervisor)
  -h, --help                     this help
  -v, --version                  print the version

Exit codes: 0 ok, 1 runtime failure / doctor found problems, 2 bad configuration,
3 the data dir is in use by another running worker agent.`;

async function main(argv: readonly string[]): Promise<number> {
  let cmd: ParsedCommandLine;
  try {
    cmd = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`llama-orch-worker: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const version = workerVersion();
  if (cmd.flags.version === true) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (cmd.flags.help === true || cmd.command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cmd.command !== "start" && cmd.command !== "doctor" && cmd.command !== "engine") {
    process.stderr.write(`llama-orch-worker: unknown command "${cmd.command}"\n\n${USAGE}\n`);
    return 2;
  }
  const loaded = await loadWorkerConfig(cmd.flags, process.env);
  if (!loaded.ok) {
    process.stderr.write(`llama-orch-worker: invalid configuration:\n${loaded.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    return 2;
  }
  const config = loaded.config;
  for (const line of ignoredWorkerEnv(process.env)) process.stderr.write(`llama-orch-worker: warning: ${line}\n`);

  if (cmd.command === "engine") {
    return runEngineCommand({
      subcommand: cmd.subcommands[0],
      dataDir: config.data_dir,
      ...(cmd.flags.out !== undefined ? { out: cmd.flags.out } : {}),
      ...(cmd.flags.jobs !== undefined ? { jobs: cmd.flags.jobs } : {}),
      ...(cmd.flags.engine !== undefined ? { engine: cmd.flags.engine } : {}),
      ...(cmd.flags["node-headers"] !== undefined ? { nodeHeaders: cmd.flags["node-headers"] } : {}),
      ...(config.node_llama_cpp_addon_dir !== undefined ? { addonDir: config.node_llama_cpp_addon_dir } : {}),
      say: (line) => process.stdout.write(`${line}\n`),
      sayError: (line) => process.stderr.write(`llama-orch-worker: ${line}\n`),
    });
  }

  if (cmd.command === "doctor") {
    const quiet = createLogger("silent");
    return runDoctor(config, version, quiet, (line) => process.stdout.write(`${line}\n`));
  }

  let pretty: boolean;
  try {
    pretty = chooseLogFormat(cmd.flags["log-format"], process.stdout.isTTY === true) === "pretty";
  } catch (error) {
    process.stderr.write(`llama-orch-worker: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  // A person at a terminal reads one-line logs; pipes, journald and supervisors get JSON lines.
  const supervised = cmd.flags["exit-with-stdin"] === true;
  const log = createLogger(config.log_level, { service: "llama-orch-worker", node_id: config.node_id }, pretty ? prettyDestination() : supervised ? synchronousStdout() : undefined);
  // One agent per data dir, taken before anything in it is read or written (node key, join, caches).
  const lock = await lockWorkerDataDir(config.data_dir);
  if (!lock.ok) {
    log.fatal({ event: "data_dir_in_use", data_dir: config.data_dir }, lock.error);
    process.stderr.write(`llama-orch-worker: ${lock.error}\n`);
    return DATA_DIR_IN_USE_EXIT;
  }
  // The pinned cluster CA (and the node's certificate from an earlier join) come before any call out.
  const trust = await loadNodeTls(config);
  if (!trust.ok) {
    log.fatal({ event: "tls_refused" }, trust.error);
    process.stderr.write(`llama-orch-worker: ${trust.error}\n`);
    return 2;
  }
  const decision = await decideApiToken(config, { tls: trust.tls });
  if (!decision.ok) {
    log.fatal({ event: "startup_bind_refused", bind_addr: config.bind_addr }, decision.error);
    process.stderr.write(`llama-orch-worker: ${decision.error}\n`);
    return 2;
  }
  for (const warning of decision.warnings) log.warn(warning);
  const fp6 = tokenFingerprint(decision.token);
  if (decision.source.kind === "generated") {
    log.info({ fp6, token_file: decision.source.path, created: decision.source.created }, "API token generated for loopback use; clients read it from token_file");
  } else if (decision.source.kind === "joined") {
    log.info({ fp6, key_file: decision.source.path, joined_now: decision.source.created }, decision.source.created ? "joined the orchestrator: node key stored" : "using the node key from an earlier join");
  } else {
    log.info({ fp6 }, "API token configured");
  }

  const tls = decision.tls ?? trust.tls;
  if (tls !== undefined) log.info({ serving_https: tls.server !== undefined }, "TLS: trusting the pinned cluster CA only");
  // A first registration refused for its credential stops the agent (exit 2) with one line saying so.
  let refused: ((message: string) => void) | undefined;
  const agent = createWorkerAgent(config, decision.token, version, log, tls, (message) => refused?.(message));
  startLoopStalls(process.env, log);
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));

  let stopping = false;
  const exitCode = await new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, "second signal: exiting without finishing the drain");
        resolve(1);
        return;
      }
      stopping = true;
      agent.shutdown(signal).then(
        () => resolve(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    refused = (message) => {
      const line = `${config.orchestrator_url ?? ""}: ${message}`;
      log.fatal({ event: "registration_refused", orchestrator_url: config.orchestrator_url, fp6 }, line);
      process.stderr.write(`llama-orch-worker: ${line} (token fp6 ${fp6})\n`);
      if (stopping) return;
      stopping = true;
      void agent.shutdown("registration refused").then(
        () => resolve(2),
        () => resolve(2),
      );
    };
    if (supervised) {
      // The supervisor (headless or desktop app) holds the other end of stdin: when it dies, even by
      // SIGKILL, the pipe closes and this worker drains and exits instead of living on as an orphan.
      process.stdin.on("end", () => {
        log.warn({ event: "parent_gone" }, "standard input closed: the supervising process is gone, shutting down");
        onSignal("SIGTERM");
      });
      process.stdin.resume();
    }
    agent.start().catch((error: unknown) => {
      const known = listenFailureMessage(error) ?? fileFailureMessage(error);
      if (known !== undefined) process.stderr.write(`llama-orch-worker: ${known}\n`);
      log.fatal({ err: error }, known ?? "worker failed to start");
      resolve(1);
    });
  });
  return exitCode;
}

// Whatever escapes main (a data dir on a read-only disk, a folder where a file should be) is one line for
// the operator, not a Node stack trace; LLORCH_LOG_LEVEL=debug adds the stack.
const code = await main(process.argv.slice(2)).catch((error: unknown) => {
  const known = listenFailureMessage(error) ?? fileFailureMessage(error);
  const debug = ["debug", "trace"].includes(process.env.LLORCH_LOG_LEVEL ?? "");
  process.stderr.write(`llama-orch-worker: ${known ?? `unexpected error: ${error instanceof Error ? error.message : String(error)}${debug ? "" : " (LLORCH_LOG_LEVEL=debug prints its stack)"}`}\n`);
  if (known === undefined && debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  return 1;
});
process.exit(code);

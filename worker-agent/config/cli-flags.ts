import { parseArgs } from "node:util";

// Command-line flags of llama-orch-worker. Every flag mirrors a config key (and most an env var);
// see docs/WORKER.md for the full table.
export const WORKER_FLAG_OPTIONS = {
  config: { type: "string" },
  "node-id": { type: "string" },
  "machine-id": { type: "string" },
  bind: { type: "string" },
  "advertise-url": { type: "string" },
  "orchestrator-url": { type: "string" },
  join: { type: "string" },
  "api-token-file": { type: "string" },
  "heartbeat-interval": { type: "string" },
  "models-dir": { type: "string" },
  "runtime-dir": { type: "string" },
  "data-dir": { type: "string" },
  pool: { type: "string", multiple: true },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  threads: { type: "string" },
  slots: { type: "string" },
  out: { type: "string" },
  jobs: { type: "string" },
  engine: { type: "string" },
  "node-headers": { type: "string" },
  "exit-with-stdin": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

export interface ParsedCommandLine {
  command: string;
  /** Positionals after the command (`engine build` → ["build"]). */
  subcommands: string[];
  flags: WorkerFlags;
}

export interface WorkerFlags {
  config?: string;
  "node-id"?: string;
  "machine-id"?: string;
  bind?: string;
  "advertise-url"?: string;
  "orchestrator-url"?: string;
  join?: string;
  "api-token-file"?: string;
  "heartbeat-interval"?: string;
  "models-dir"?: string;
  "runtime-dir"?: string;
  "data-dir"?: string;
  pool?: string[];
  "log-level"?: string;
  "log-format"?: string;
  threads?: string;
  slots?: string;
  /** `engine build`: output folder. */
  out?: string;
  /** `engine build`: parallel compile jobs. */
  jobs?: string;
  /** `engine build|path`: which engine's binary (llama-server, the default, or node-llama-cpp's native addon). */
  engine?: string;
  /** `engine build --engine node-llama-cpp`: folder with Node's node_api.h (default: the running Node's). */
  "node-headers"?: string;
  /** `start`: drain and exit when standard input closes (a supervisor's death takes the worker with it). */
  "exit-with-stdin"?: boolean;
  help?: boolean;
  version?: boolean;
}

/** Throws (with node's own message, e.g. "Unknown option '--x'") on flags that do not exist. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const { values, positionals } = parseArgs({ args: [...argv], options: WORKER_FLAG_OPTIONS, allowPositionals: true, strict: true });
  const command = positionals[0] ?? "start";
  // Only `engine` has a subcommand; anything else after the command is a mistake.
  const allowed = command === "engine" ? 2 : 1;
  if (positionals.length > allowed) throw new Error(`unexpected arguments: ${positionals.slice(allowed).join(" ")}`);
  return { command, subcommands: positionals.slice(1), flags: values };
}

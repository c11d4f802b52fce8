import { join } from "node:path";
import { buildLlamaServer, defaultLlamaServerDir, LLAMA_SERVER_BINARY } from "./llama-server-build.js";
import { findLlamaCppSource } from "./llama-server-source.js";

export interface EngineCommandOptions {
  subcommand: string | undefined;
  dataDir: string;
  /** --out: build into this folder instead of <data_dir>/llama-server/<version>. */
  out?: string;
  /** --jobs */
  jobs?: string;
  say: (line: string) => void;
  sayError: (line: string) => void;
}

/**
 * `llama-orch-worker engine build|path`: builds llama-server from node-llama-cpp's llama.cpp source
 * (skipped when that version is already built there), or prints where a pool would look for it.
 * Returns the exit code.
 */
export async function runEngineCommand(options: EngineCommandOptions): Promise<number> {
  const { subcommand, say, sayError } = options;
  if (subcommand !== "build" && subcommand !== "path") {
    sayError(`engine: expected "build" or "path", got ${subcommand === undefined ? "nothing" : `"${subcommand}"`}`);
    return 2;
  }
  const jobs = options.jobs === undefined ? undefined : Number(options.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    sayError(`--jobs must be a positive integer, got "${options.jobs}"`);
    return 2;
  }
  let source;
  try {
    source = await findLlamaCppSource();
  } catch (error) {
    sayError(`engine ${subcommand}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const outDir = options.out ?? defaultLlamaServerDir(options.dataDir, source);
  if (subcommand === "path") {
    say(join(outDir, LLAMA_SERVER_BINARY));
    return 0;
  }
  try {
    const { binary, built } = await buildLlamaServer({ source, outDir, ...(jobs !== undefined ? { jobs } : {}), say });
    if (built) say(`built ${binary}`);
    say(`pools with "engine": "llama-server" use it${options.out !== undefined ? ` when llama_server_path (LLORCH_LLAMA_SERVER) is ${binary}` : ""}`);
    return 0;
  } catch (error) {
    sayError(`engine build failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

import { join } from "node:path";
import { buildLlamaServer, defaultLlamaServerDir, LLAMA_SERVER_BINARY } from "./llama-server-build.js";
import { findLlamaCppSource, type LlamaCppSource } from "./llama-server-source.js";
import { buildNativeAddon } from "../native-addon/native-addon-build.js";
import { defaultNativeAddonDir, nativeAddonExpectations } from "../native-addon/native-addon-info.js";

export interface EngineCommandOptions {
  subcommand: string | undefined;
  dataDir: string;
  /** --out: build into this folder instead of <data_dir>/llama-server/<version>. */
  out?: string;
  /** --jobs */
  jobs?: string;
  /** --engine: llama-server (default) or node-llama-cpp (its native addon build). */
  engine?: string;
  /** --node-headers, for the node-llama-cpp build. */
  nodeHeaders?: string;
  /** node_llama_cpp_addon_dir from the config: where the native addon goes unless --out. */
  addonDir?: string;
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
  const engine = options.engine ?? "llama-server";
  if (engine !== "llama-server" && engine !== "node-llama-cpp") {
    sayError(`--engine must be "llama-server" or "node-llama-cpp", got "${engine}"`);
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
  if (engine === "node-llama-cpp") return nativeAddonCommand(subcommand, source, options, jobs);
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

/** `engine build|path --engine node-llama-cpp`: the native addon build (native-addon-build.ts). */
async function nativeAddonCommand(subcommand: "build" | "path", source: LlamaCppSource, options: EngineCommandOptions, jobs: number | undefined): Promise<number> {
  const { say, sayError } = options;
  const expected = nativeAddonExpectations();
  const outDir = options.out ?? options.addonDir ?? defaultNativeAddonDir(options.dataDir, expected);
  if (subcommand === "path") {
    say(outDir);
    return 0;
  }
  try {
    const { dir, built } = await buildNativeAddon({ source, expected, outDir, ...(jobs !== undefined ? { jobs } : {}), ...(options.nodeHeaders !== undefined ? { nodeHeaders: options.nodeHeaders } : {}), say });
    if (built) say(`built ${dir}`);
    const configured = options.out === undefined || options.out === options.addonDir;
    say(`node-llama-cpp pools on CPU load it${configured ? "" : ` when node_llama_cpp_addon_dir (LLORCH_NLC_ADDON_DIR) is ${dir}`}`);
    return 0;
  } catch (error) {
    sayError(`engine build failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

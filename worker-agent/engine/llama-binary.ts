import { Llama, type LlamaLogLevel } from "node-llama-cpp";
import { createRequire } from "node:module";

// node-llama-cpp loads a llama.cpp binary (getLlama.js) by requiring its .node file and calling the
// internal `Llama._create`. Two binaries are loaded that way here rather than through getLlama: the
// native build, which lives outside node-llama-cpp's package (load-native-addon.ts), and the prebuilt CPU
// binary on a CPU pool (prebuilt-cpu-llama.ts), whose getLlama path first forks a Node process to test
// that the binary loads (Linux, every call: ~0.65 s and ~0.9 CPU-s per engine start) — a test the engine
// child, a process of its own that the agent supervises, does not need. `_create` is internal: this file
// is the one place that depends on it, for the exact node-llama-cpp version pinned in package.json.

/** The build metadata `_create` reads: node-llama-cpp's `_nlcBuildMetadata.json`, or the same shape. */
export interface LlamaBuildMetadata {
  buildOptions: { customCmakeOptions: Map<string, string> | Record<string, string>; gpu: false; llamaCpp: { repo: string; release: string } };
}

interface LlamaCreateOptions {
  bindings: unknown;
  bindingPath: string;
  buildType: "localBuild" | "prebuilt";
  buildMetadata: LlamaBuildMetadata;
  logLevel: LlamaLogLevel;
  logger: (level: LlamaLogLevel, message: string) => void;
  maxThreads: number;
  vramPadding: (total: number) => number;
  ramPadding: (total: number) => number;
  skipLlamaInit: boolean;
  debug: boolean;
  numa: false;
  tempDir: false;
}

function hasCreate(value: unknown): value is { _create: (options: LlamaCreateOptions) => Promise<Llama> } {
  return typeof value === "function" && "_create" in value && typeof value._create === "function";
}

/** A CPU-only Llama on the binary at `bindingPath`, with getLlama's defaults. */
export async function createLlamaFromBinary(bindingPath: string, buildType: "localBuild" | "prebuilt", buildMetadata: LlamaBuildMetadata, maxThreads: number, logLevel: LlamaLogLevel): Promise<Llama> {
  if (!hasCreate(Llama)) throw new Error("this node-llama-cpp has no Llama._create; a llama.cpp binary cannot be loaded directly by it");
  // A fresh module instance per Llama, as node-llama-cpp does (each instance has its own logger).
  const require = createRequire(import.meta.url);
  const bindings: unknown = require(bindingPath);
  return Llama._create({
    bindings,
    bindingPath,
    buildType,
    buildMetadata,
    logLevel,
    logger: Llama.defaultConsoleLogger,
    maxThreads,
    // getLlama's defaults (dist/bindings/getLlama.js), for Linux: 8% of VRAM up to 1.6 GiB; 25% of RAM up to 1 GiB.
    vramPadding: (total) => Math.floor(Math.min(total * 0.08, 1.6 * 1024 ** 3)),
    ramPadding: (total) => Math.floor(Math.min(total * 0.25, (process.platform === "linux" ? 1 : 6) * 1024 ** 3)),
    skipLlamaInit: false,
    debug: false,
    numa: false,
    tempDir: false,
  });
}

import { Llama, type LlamaLogLevel } from "node-llama-cpp";
import { createRequire } from "node:module";
import { join } from "node:path";
import { NATIVE_ADDON_FILE, type NativeAddonInfo } from "./native-addon-info.js";

// node-llama-cpp finds locally built binaries only inside its own package folder (llama/localBuilds),
// which `npm ci` wipes and which is shared by every checkout using that node_modules. The native build
// lives outside (native-addon-build.ts), so it is loaded here the way node-llama-cpp loads its own
// local builds (getLlama.js: require the .node file, then Llama._create). `_create` is internal to
// node-llama-cpp: this file is the one place that depends on it, for the exact version pinned in
// package.json; the native build records that version and is not used with another (addon-choice.ts).

interface LlamaCreateOptions {
  bindings: unknown;
  bindingPath: string;
  buildType: "localBuild";
  buildMetadata: { buildOptions: { customCmakeOptions: Map<string, string>; gpu: false; llamaCpp: { repo: string; release: string } } };
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

/** Loads the native build in `dir` as a CPU-only Llama (same defaults getLlama uses). */
export async function loadNativeLlama(dir: string, info: NativeAddonInfo, maxThreads: number, logLevel: LlamaLogLevel): Promise<Llama> {
  if (!hasCreate(Llama)) throw new Error("this node-llama-cpp has no Llama._create; native builds cannot be loaded by it");
  const bindingPath = join(dir, NATIVE_ADDON_FILE);
  // A fresh module instance per Llama, as node-llama-cpp does (each instance has its own logger).
  const require = createRequire(import.meta.url);
  const bindings: unknown = require(bindingPath);
  return Llama._create({
    bindings,
    bindingPath,
    buildType: "localBuild",
    buildMetadata: { buildOptions: { customCmakeOptions: new Map(Object.entries(info.cmake_options)), gpu: false, llamaCpp: { repo: "ggml-org/llama.cpp", release: info.tag } } },
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

import type { Llama, LlamaLogLevel } from "node-llama-cpp";
import { join } from "node:path";
import { createLlamaFromBinary } from "../llama-binary.js";
import { NATIVE_ADDON_FILE, type NativeAddonInfo } from "./native-addon-info.js";

// node-llama-cpp finds locally built binaries only inside its own package folder (llama/localBuilds),
// which `npm ci` wipes and which is shared by every checkout using that node_modules. The native build
// lives outside (native-addon-build.ts), so it is loaded here the way node-llama-cpp loads its own
// local builds (llama-binary.ts); the native build records the node-llama-cpp version it was built
// for and is not used with another (addon-choice.ts).

/** Loads the native build in `dir` as a CPU-only Llama (same defaults getLlama uses). */
export async function loadNativeLlama(dir: string, info: NativeAddonInfo, maxThreads: number, logLevel: LlamaLogLevel): Promise<Llama> {
  const buildMetadata = { buildOptions: { customCmakeOptions: new Map(Object.entries(info.cmake_options)), gpu: false as const, llamaCpp: { repo: "ggml-org/llama.cpp", release: info.tag } } };
  return createLlamaFromBinary(join(dir, NATIVE_ADDON_FILE), "localBuild", buildMetadata, maxThreads, logLevel);
}

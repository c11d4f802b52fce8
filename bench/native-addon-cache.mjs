// Where CI and the benchmarks keep node-llama-cpp's native addon build (`llama-orch-worker engine build
// --engine node-llama-cpp --out <this>`): outside the repository, one folder per node-llama-cpp and
// llama.cpp version, reused across runs.
import { homedir } from "node:os";
import { join } from "node:path";
import { nativeAddonExpectations } from "../dist/worker-agent/engine/native-addon/native-addon-info.js";

/** LLORCH_NLC_ADDON_DIR, else ~/.cache/llama-orch-ci/nlc-native-<node-llama-cpp>-<llama.cpp tag> (which may not exist). */
export async function ciNativeAddonDir() {
  if (process.env.LLORCH_NLC_ADDON_DIR) return process.env.LLORCH_NLC_ADDON_DIR;
  const expected = nativeAddonExpectations();
  return join(homedir(), ".cache", "llama-orch-ci", `nlc-native-${expected.nodeLlamaCppVersion}-${expected.llamaCppTag}`);
}

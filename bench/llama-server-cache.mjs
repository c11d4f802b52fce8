// Where CI and the benchmarks keep a llama-server built from node-llama-cpp's bundled llama.cpp
// source: outside the repository, one folder per llama.cpp version, reused across runs.
import { homedir } from "node:os";
import { join } from "node:path";
import { findLlamaCppSource } from "../dist/worker-agent/engine/llama-server/llama-server-source.js";

/** LLORCH_LLAMA_SERVER, else ~/.cache/llama-orch-ci/llama-server-<version>/llama-server (which may not exist). */
export async function ciLlamaServerBinary() {
  if (process.env.LLORCH_LLAMA_SERVER) return process.env.LLORCH_LLAMA_SERVER;
  const source = await findLlamaCppSource();
  return join(homedir(), ".cache", "llama-orch-ci", `llama-server-${source.version}`, "llama-server");
}

import type { NodeLlamaCppAddon, PoolDevice } from "../../../src-shared/config/worker-config.js";
import type { NativeAddonInfo, NativeAddonRead } from "./native-addon-info.js";

// Which llama.cpp binary a node-llama-cpp pool loads: the native build (`engine build --engine
// node-llama-cpp`: -march=native, OpenMP) or node-llama-cpp's prebuilt one. The native build is CPU
// only and compiled for one machine and one node-llama-cpp/llama.cpp version, so it is used only when
// all of that matches; "auto" falls back to the prebuilt with the reason, "native" refuses to start.

export interface AddonExpectations {
  /** The llama.cpp release tag node-llama-cpp ships (llama.cpp.info.json). */
  llamaCppTag: string;
  nodeLlamaCppVersion: string;
  /** cpuFingerprint() of this machine. */
  cpu: string;
}

export interface AddonChoiceInput {
  setting: NodeLlamaCppAddon;
  device: PoolDevice;
  /** Whether the host probe found a GPU ("auto" pools then go to it, which the native build cannot). */
  hasGpu: boolean;
  dir: string;
  read: NativeAddonRead;
  expected: AddonExpectations;
}

export type AddonChoice =
  | { binary: "native"; dir: string; info: NativeAddonInfo }
  | { binary: "prebuilt"; reason: string }
  /** setting "native" and the native build cannot be used: the pool fails with this. */
  | { binary: "refused"; reason: string };

const BUILD_HINT = "run `llama-orch-worker engine build --engine node-llama-cpp`";

/** Why the native build in `dir` cannot serve this pool, or undefined when it can. */
function unusable(input: AddonChoiceInput): string | undefined {
  const { device, hasGpu, dir, read, expected } = input;
  if (typeof device === "number" || (device === "auto" && hasGpu)) return `the native build is CPU-only and this pool's device is ${String(device)}${device === "auto" ? " (a GPU was found)" : ""}`;
  if (read.state === "missing") return `no native build in ${dir} (${BUILD_HINT})`;
  if (read.state === "invalid") return `the native build is unreadable: ${read.error} (${BUILD_HINT})`;
  const { info } = read;
  if (info.tag !== expected.llamaCppTag) return `the native build is of llama.cpp ${info.tag}, node-llama-cpp ships ${expected.llamaCppTag} (${BUILD_HINT})`;
  if (info.node_llama_cpp !== expected.nodeLlamaCppVersion) return `the native build is of node-llama-cpp ${info.node_llama_cpp}, ${expected.nodeLlamaCppVersion} is installed (${BUILD_HINT})`;
  if (info.cpu !== expected.cpu) return `the native build was compiled for another CPU (fingerprint ${info.cpu}, this one ${expected.cpu}) (${BUILD_HINT})`;
  return undefined;
}

export function chooseAddon(input: AddonChoiceInput): AddonChoice {
  if (input.setting === "prebuilt") return { binary: "prebuilt", reason: "node_llama_cpp_addon is \"prebuilt\"" };
  const why = unusable(input);
  if (why === undefined && input.read.state === "present") return { binary: "native", dir: input.dir, info: input.read.info };
  const reason = why ?? "the native build is not present";
  return input.setting === "native" ? { binary: "refused", reason: `node_llama_cpp_addon is "native" but ${reason}` } : { binary: "prebuilt", reason };
}

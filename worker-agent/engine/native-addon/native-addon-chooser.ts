import type { PoolDevice, WorkerConfig } from "../../../src-shared/config/worker-config.js";
import { chooseAddon, type AddonChoice, type AddonExpectations } from "./addon-choice.js";
import { defaultNativeAddonDir, nativeAddonExpectations, readNativeAddon } from "./native-addon-info.js";

/** The native build's folder for this config: node_llama_cpp_addon_dir, else the default under data_dir. */
export function nativeAddonDir(config: Pick<WorkerConfig, "node_llama_cpp_addon_dir" | "data_dir">, expected: AddonExpectations): string {
  return config.node_llama_cpp_addon_dir ?? defaultNativeAddonDir(config.data_dir, expected);
}

/**
 * Whether pools of these devices cannot choose their build before the host probe has answered: an
 * "auto" pool goes to the native build (CPU only) or to the prebuilt one (the GPU), and only the
 * probe knows whether there is a GPU. Without a native build there is nothing to choose. A pool that
 * chose before the answer ran a GPU machine's model on the CPU build (configured pools started at once).
 */
export function choiceAwaitsProbe(config: Pick<WorkerConfig, "node_llama_cpp_addon" | "node_llama_cpp_addon_dir" | "data_dir">, devices: readonly PoolDevice[]): boolean {
  if (config.node_llama_cpp_addon === "prebuilt" || !devices.includes("auto")) return false;
  try {
    return readNativeAddon(nativeAddonDir(config, nativeAddonExpectations())).state !== "missing";
  } catch {
    return false; // node-llama-cpp's own files unreadable: the chooser runs the prebuilt whatever the probe says
  }
}

/**
 * The agent's per-engine-start choice: reads the native build's build-info.json each time (a build made
 * while the agent runs is picked up at the next engine start). When node-llama-cpp's own files cannot be
 * read, "auto" runs the prebuilt and "native" refuses, both saying why.
 */
export function nativeAddonChooser(config: Pick<WorkerConfig, "node_llama_cpp_addon" | "node_llama_cpp_addon_dir" | "data_dir">, hasGpu: () => boolean): (device: PoolDevice) => AddonChoice {
  let expected: AddonExpectations | Error | undefined;
  return (device) => {
    if (config.node_llama_cpp_addon === "prebuilt") return { binary: "prebuilt", reason: "node_llama_cpp_addon is \"prebuilt\"" };
    if (expected === undefined) {
      try {
        expected = nativeAddonExpectations();
      } catch (error) {
        expected = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (expected instanceof Error) {
      const reason = `node-llama-cpp's version could not be read (${expected.message})`;
      return config.node_llama_cpp_addon === "native" ? { binary: "refused", reason } : { binary: "prebuilt", reason };
    }
    const dir = nativeAddonDir(config, expected);
    return chooseAddon({ setting: config.node_llama_cpp_addon, device, hasGpu: hasGpu(), dir, read: readNativeAddon(dir), expected });
  };
}

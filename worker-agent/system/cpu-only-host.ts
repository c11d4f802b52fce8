import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { nodeLlamaCppDir } from "../engine/llama-server/llama-server-source.js";
import type { SystemProbeResult } from "./system-probe-ipc.js";

/** What decides whether a GPU backend could find a device; the defaults are this machine's. */
export interface HostFacts {
  platform: NodeJS.Platform;
  arch: string;
  env: NodeJS.ProcessEnv;
  /** Where device nodes are (/dev). */
  devDir: string;
  /** The folders the Vulkan loader reads driver manifests from. */
  icdDirs: string[];
  /** node-llama-cpp's package folder. */
  nodeLlamaCppDir: () => string;
}

const BuildMetadataSchema = z.object({ buildOptions: z.object({ gpu: z.literal(false), llamaCpp: z.object({ release: z.string().min(1) }) }) });

/** The folders the Vulkan loader reads driver manifests (ICDs) from on Linux, by the XDG variables it follows. */
export function vulkanIcdDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const configDirs = [env.XDG_CONFIG_HOME ?? join(home, ".config"), ...(env.XDG_CONFIG_DIRS ?? "/etc/xdg").split(":"), "/etc", "/usr/local/etc"];
  const dataDirs = [env.XDG_DATA_HOME ?? join(home, ".local", "share"), ...(env.XDG_DATA_DIRS ?? "/usr/local/share:/usr/share").split(":")];
  return [...configDirs, ...dataDirs].filter((d) => d !== "").map((d) => join(d, "vulkan", "icd.d"));
}

function nonEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

export function thisHost(): HostFacts {
  return { platform: process.platform, arch: process.arch, env: process.env, devDir: "/dev", icdDirs: vulkanIcdDirs(process.env), nodeLlamaCppDir };
}

/** Why a GPU backend might find a device here, or null when none can. */
export function gpuPossible(facts: HostFacts): string | null {
  if (facts.platform !== "linux") return `platform ${facts.platform}`;
  const setting = Object.keys(facts.env).find((k) => k.startsWith("NODE_LLAMA_CPP_") || k.startsWith("VK_") || k === "CUDA_VISIBLE_DEVICES" || k === "GGML_VK_VISIBLE_DEVICES");
  if (setting !== undefined) return `${setting} is set`;
  let devices: string[];
  try {
    devices = readdirSync(facts.devDir);
  } catch {
    return `${facts.devDir} is unreadable`;
  }
  // CUDA: NVIDIA's device nodes, or WSL2's /dev/dxg. ROCm's /dev/kfd and DRM's /dev/dri: GPUs for Vulkan.
  const node = devices.find((d) => d.startsWith("nvidia") || d === "dxg" || d === "kfd" || d === "dri");
  if (node !== undefined) return `${join(facts.devDir, node)} exists`;
  // A Vulkan driver without a device node (Mesa's lavapipe on the CPU) still counts as one for node-llama-cpp.
  const icd = facts.icdDirs.find(nonEmptyDir);
  if (icd !== undefined) return `Vulkan drivers in ${icd}`;
  return null;
}

/**
 * What the probe child (probe-host.ts) would answer on a Linux machine where no GPU backend of
 * node-llama-cpp can find a device: CUDA needs an NVIDIA device node (or WSL2's /dev/dxg), Vulkan a
 * driver manifest. There "auto" is the CPU, and the prebuilt CPU binary's llama.cpp release is in its
 * build metadata: loading the native backend in a child only to hear that cost every agent start
 * ~1 CPU-second and ~1.3 s. Null whenever anything could make the answer different (another OS, a
 * device node, a Vulkan driver, a node-llama-cpp or device setting, a local build, unreadable
 * metadata): the real probe runs then.
 */
export function cpuOnlyProbeResult(facts: HostFacts = thisHost()): SystemProbeResult | null {
  if (gpuPossible(facts) !== null) return null;
  const prebuilt = prebuiltCpuBinary(facts);
  if (prebuilt === null) return null;
  return { backend: "cpu", gpu_names: [], vram_total_bytes: 0, vram_free_bytes: 0, llama_cpp_release: prebuilt.release, build_type: "prebuilt", supports_gpu_offloading: false };
}

/** node-llama-cpp's prebuilt CPU binary for this machine: its folder and llama.cpp release. */
export interface PrebuiltCpuBinary {
  /** <prebuilt package>/bins/linux-<arch>: llama-addon.node, the ggml libraries and _nlcBuildMetadata.json. */
  bins: string;
  release: string;
}

/**
 * The prebuilt CPU binary getLlama({ gpu: false }) would load on Linux, or null when it would load
 * something else or the answer is not certain: another OS or architecture, a local build (node-llama-cpp's
 * `source build`, which it prefers), a missing binary or unreadable build metadata.
 */
export function prebuiltCpuBinary(facts: HostFacts = thisHost()): PrebuiltCpuBinary | null {
  if (facts.platform !== "linux" || (facts.arch !== "x64" && facts.arch !== "arm64")) return null;
  try {
    const dir = facts.nodeLlamaCppDir();
    if (nonEmptyDir(join(dir, "llama", "localBuilds"))) return null;
    const target = `linux-${facts.arch}`;
    // The prebuilt package's entry is <package>/dist/index.js; its binaries are in <package>/bins/<target> (its getBinsDir()).
    const entry = createRequire(join(dir, "package.json")).resolve(`@node-llama-cpp/${target}`);
    const bins = join(dirname(entry), "..", "bins", target);
    if (!existsSync(join(bins, "llama-addon.node"))) return null;
    const metadata = BuildMetadataSchema.parse(JSON.parse(readFileSync(join(bins, "_nlcBuildMetadata.json"), "utf8")));
    return { bins, release: metadata.buildOptions.llamaCpp.release };
  } catch {
    return null;
  }
}

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { nodeLlamaCppDir } from "../llama-server/llama-server-source.js";
import type { AddonExpectations } from "./addon-choice.js";

// What `engine build --engine node-llama-cpp` writes next to the addon it built (build-info.json), so
// that a pool can tell whether the build fits this install and this machine before loading native code
// into an engine: a build from another llama.cpp or node-llama-cpp version, or one compiled with
// -march=native on another CPU, must not be loaded (the second would die of SIGILL mid-decode).

export const NATIVE_ADDON_FILE = "llama-addon.node";
export const NATIVE_ADDON_INFO_FILE = "build-info.json";

export const NativeAddonInfoSchema = z.object({
  /** `<llama.cpp tag>-<commit10>` of the bundled source it was built from. */
  version: z.string().min(1),
  tag: z.string().min(1),
  /** node-llama-cpp's version whose addon source (llama/addon) was compiled. */
  node_llama_cpp: z.string().min(1),
  /** cpuFingerprint() of the machine that built it. */
  cpu: z.string().min(1),
  cmake_options: z.record(z.string(), z.string()),
  built_at: z.string(),
  build_seconds: z.int().min(0),
});
export type NativeAddonInfo = z.infer<typeof NativeAddonInfoSchema>;

/** The instruction-set flags of this CPU, hashed: -march=native code runs where they are the same. */
export function cpuFingerprint(): string {
  let basis = cpus()[0]?.model ?? "unknown";
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
    if (flags !== undefined) basis = flags.trim().split(/\s+/).sort().join(" ");
  } catch {
    // not Linux: the model name stands in
  }
  return createHash("sha256").update(basis).digest("hex").slice(0, 16);
}

export type NativeAddonRead = { state: "missing" } | { state: "invalid"; error: string } | { state: "present"; info: NativeAddonInfo };

/** Reads a native build's folder: missing (no addon file), invalid (no or bad build-info.json) or present. */
export function readNativeAddon(dir: string): NativeAddonRead {
  if (!existsSync(join(dir, NATIVE_ADDON_FILE))) return { state: "missing" };
  try {
    const info = NativeAddonInfoSchema.parse(JSON.parse(readFileSync(join(dir, NATIVE_ADDON_INFO_FILE), "utf8")));
    return { state: "present", info };
  } catch (error) {
    return { state: "invalid", error: `${join(dir, NATIVE_ADDON_INFO_FILE)}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
  }
}

const PackageSchema = z.object({ version: z.string().min(1) });
const LlamaCppInfoSchema = z.object({ tag: z.string().min(1) });

/** What a native build must match here: node-llama-cpp's version, its llama.cpp tag, this CPU (no git needed). */
export function nativeAddonExpectations(): AddonExpectations {
  const dir = nodeLlamaCppDir();
  return {
    nodeLlamaCppVersion: PackageSchema.parse(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).version,
    llamaCppTag: LlamaCppInfoSchema.parse(JSON.parse(readFileSync(join(dir, "llama", "llama.cpp.info.json"), "utf8"))).tag,
    cpu: cpuFingerprint(),
  };
}

/** Where `engine build --engine node-llama-cpp` puts the build by default, and where pools look for it. */
export function defaultNativeAddonDir(dataDir: string, expected: Pick<AddonExpectations, "nodeLlamaCppVersion" | "llamaCppTag">): string {
  return join(dataDir, "node-llama-cpp-native", `${expected.nodeLlamaCppVersion}-${expected.llamaCppTag}`);
}

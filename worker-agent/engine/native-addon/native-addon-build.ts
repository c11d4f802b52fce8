import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { nodeLlamaCppDir, type LlamaCppSource } from "../llama-server/llama-server-source.js";
import { run } from "../llama-server/llama-server-build.js";
import type { AddonExpectations } from "./addon-choice.js";
import { NATIVE_ADDON_FILE, NATIVE_ADDON_INFO_FILE, type NativeAddonInfo } from "./native-addon-info.js";

// `llama-orch-worker engine build --engine node-llama-cpp`: node-llama-cpp's own addon (llama/addon +
// its CMakeLists.txt) compiled against its bundled llama.cpp with -march=native and OpenMP, the flags
// node-llama-cpp itself uses for a local build (compileLLamaCpp.js), outside node_modules so that npm ci
// keeps it. It is built with cmake directly, not with `node-llama-cpp source build`: that writes into
// the package folder and its cmake-js fetches Node's headers from nodejs.org, while the headers of the
// running Node (<prefix>/include/node, shipped with every official build) are enough for an N-API addon.

/** Options node-llama-cpp passes for a native CPU build (compileLLamaCpp.js), plus OpenMP, which its prebuilt CPU binaries lack. */
export const NATIVE_ADDON_CMAKE_OPTIONS: Readonly<Record<string, string>> = {
  CMAKE_BUILD_TYPE: "Release",
  GGML_BUILD_NUMBER: "1",
  NLC_CURRENT_PLATFORM: `${process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : "linux"}-${process.arch}`,
  NLC_TARGET_PLATFORM: `${process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : "linux"}-${process.arch}`,
  GGML_METAL: "OFF",
  GGML_CCACHE: "OFF",
  LLAMA_CURL: "OFF",
  LLAMA_OPENSSL: "OFF",
  LLAMA_BUILD_BORINGSSL: "OFF",
  GGML_NATIVE: "ON",
  GGML_OPENMP: "ON",
};

const SHARED_LIBRARY = /\.(so(\.\d+)*|dylib|dll)$/;

/** The parts of node-llama-cpp's llama/ folder the addon's CMakeLists.txt uses. */
const ADDON_SOURCES = ["CMakeLists.txt", "addon", "cmake", "profiles", "patches"];

/** The running Node's headers (official builds ship them under <prefix>/include/node). */
export function nodeHeadersDir(): string | undefined {
  const dir = join(dirname(dirname(process.execPath)), "include", "node");
  return existsSync(join(dir, "node_api.h")) ? dir : undefined;
}

export interface NativeAddonBuildOptions {
  source: LlamaCppSource;
  expected: AddonExpectations;
  outDir: string;
  jobs?: number;
  /** Folder with node_api.h; default nodeHeadersDir(). */
  nodeHeaders?: string;
  say: (line: string) => void;
}

/** Builds the addon into outDir (llama-addon.node, its shared libraries, build-info.json) unless it is there. */
export async function buildNativeAddon(options: NativeAddonBuildOptions): Promise<{ dir: string; built: boolean }> {
  const { source, expected, outDir, say } = options;
  if (existsSync(join(outDir, NATIVE_ADDON_FILE)) && existsSync(join(outDir, NATIVE_ADDON_INFO_FILE))) {
    say(`node-llama-cpp native build ${expected.nodeLlamaCppVersion} (llama.cpp ${source.version}) is already built: ${outDir}`);
    return { dir: outDir, built: false };
  }
  const headers = options.nodeHeaders ?? nodeHeadersDir();
  if (headers === undefined) throw new Error(`Node's headers (node_api.h) are not under ${join(dirname(dirname(process.execPath)), "include", "node")}; pass --node-headers <dir>`);
  say(`building node-llama-cpp's addon ${expected.nodeLlamaCppVersion} against llama.cpp ${source.version} (CPU, -march=native, OpenMP) into ${outDir}; this takes several minutes`);
  const jobs = options.jobs ?? availableParallelism();
  const work = await mkdtemp(join(tmpdir(), "nlc-native-build-"));
  const started = Date.now();
  try {
    const src = join(work, "src");
    for (const part of ADDON_SOURCES) if (existsSync(join(source.dir, part))) await cp(join(source.dir, part), join(src, part), { recursive: true });
    await run("git", ["clone", "--quiet", source.bundle, join(src, "llama.cpp")], work, say);
    // node-llama-cpp applies its patches to the clone before building (applyLlamaCppRepoPatches.js).
    const patches = existsSync(join(src, "patches")) ? (await readdir(join(src, "patches"))).filter((f) => f.endsWith(".diff")) : [];
    for (const patch of patches) await run("git", ["apply", join(src, "patches", patch)], join(src, "llama.cpp"), say);
    const build = join(work, "build");
    const release = join(build, "Release");
    const defines = { ...NATIVE_ADDON_CMAKE_OPTIONS, NLC_VARIANT: source.tag, CMAKE_JS_INC: headers, CMAKE_LIBRARY_OUTPUT_DIRECTORY: release };
    // The CMakeLists asks `node -p "require('node-addon-api')"` for that package's headers: NODE_PATH lets it resolve from the copy.
    const env = { ...process.env, NODE_PATH: dirname(nodeLlamaCppDir()) };
    await run("cmake", ["-S", src, "-B", build, ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)], work, say, env);
    await run("cmake", ["--build", build, "--target", "llama-addon", "--parallel", String(jobs)], work, say, env);
    // Copied under a temporary name and renamed: a half-copied build is never found as built.
    const partial = `${outDir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(dirname(outDir), { recursive: true });
    // The addon lands in Release/, llama.cpp's shared libraries in bin/ (its CMakeLists sets that); the
    // addon finds them next to itself ($ORIGIN rpath), as in node-llama-cpp's own build folders.
    await mkdir(partial, { recursive: true });
    await cp(join(release, NATIVE_ADDON_FILE), join(partial, NATIVE_ADDON_FILE));
    for (const lib of (await readdir(join(build, "bin"))).filter((f) => SHARED_LIBRARY.test(f))) await cp(join(build, "bin", lib), join(partial, lib), { dereference: true });
    const info: NativeAddonInfo = {
      version: source.version,
      tag: source.tag,
      node_llama_cpp: expected.nodeLlamaCppVersion,
      cpu: expected.cpu,
      cmake_options: { ...NATIVE_ADDON_CMAKE_OPTIONS },
      built_at: new Date().toISOString(),
      build_seconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(join(partial, NATIVE_ADDON_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    await rm(outDir, { recursive: true, force: true });
    await rename(partial, outDir);
    return { dir: outDir, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

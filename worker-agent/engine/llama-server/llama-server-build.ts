import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { findLlamaCppSource, type LlamaCppSource } from "./llama-server-source.js";

// `llama-orch-worker engine build`: llama-server from node-llama-cpp's bundled llama.cpp source, CPU
// backend with OpenMP (its threads sleep on a barrier instead of spinning against the agent's own
// thread), statically linked against llama.cpp so the one file can be cached and copied.

export const LLAMA_SERVER_BINARY = "llama-server";

/** Where `engine build` puts llama-server by default, and where a pool looks for it. */
export function defaultLlamaServerDir(dataDir: string, source: Pick<LlamaCppSource, "version">): string {
  return join(dataDir, "llama-server", source.version);
}

export const CMAKE_FLAGS: readonly string[] = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DGGML_OPENMP=ON",
  "-DGGML_NATIVE=ON",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DLLAMA_BUILD_SERVER=ON",
];

export interface BuildOptions {
  source: LlamaCppSource;
  outDir: string;
  jobs?: number;
  /** Progress lines (each command, its output's last lines on failure). */
  say: (line: string) => void;
}

/** Runs a build step; its progress lines go to `say`, its last lines into the error when it fails. */
export function run(command: string, args: readonly string[], cwd: string, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  say(`$ ${command} ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    // Keep the tail for the error; cmake's progress lines go to `say` as they come.
    const tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (/^\[\s*\d+%\]/.test(line)) say(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => reject(new Error(`${command} could not start (${error.message}); install it, e.g. apt-get install -y cmake g++ git`)));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args[0] ?? ""} failed (${signal ?? `exit ${code ?? "?"}`}):\n${tail.join("\n")}`));
    });
  });
}

/** Builds llama-server into outDir/llama-server (plus build-info.json) unless it is already there. Returns the binary's path. */
export async function buildLlamaServer(options: BuildOptions): Promise<{ binary: string; built: boolean }> {
  const { source, outDir, say } = options;
  const binary = join(outDir, LLAMA_SERVER_BINARY);
  if (existsSync(binary)) {
    say(`llama-server ${source.version} is already built: ${binary}`);
    return { binary, built: false };
  }
  say(`building llama-server ${source.version} (CPU, OpenMP) into ${outDir}; this takes several minutes`);
  const jobs = options.jobs ?? availableParallelism();
  const work = await mkdtemp(join(tmpdir(), "llama-server-build-"));
  const started = Date.now();
  try {
    const src = join(work, "src");
    await run("git", ["clone", "--quiet", source.bundle, src], work, say);
    await run("cmake", ["-S", src, "-B", join(src, "build"), ...CMAKE_FLAGS], work, say);
    await run("cmake", ["--build", join(src, "build"), "--target", "llama-server", "--parallel", String(jobs)], work, say);
    await mkdir(outDir, { recursive: true });
    // Copied under a temporary name and renamed: a half-copied binary is never found as built.
    const partial = `${binary}.partial`;
    await copyFile(join(src, "build", "bin", LLAMA_SERVER_BINARY), partial);
    await chmod(partial, 0o755);
    await writeFile(join(outDir, "build-info.json"), `${JSON.stringify({ version: source.version, commit: source.commit, tag: source.tag, cmake_flags: CMAKE_FLAGS, built_at: new Date().toISOString(), build_seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
    await rename(partial, binary);
    return { binary, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The binary a llama-server pool runs: the configured path, else what `engine build` made for this llama.cpp. */
export async function resolveLlamaServerBinary(configuredPath: string | undefined, dataDir: string): Promise<string> {
  if (configuredPath !== undefined) return configuredPath;
  return join(defaultLlamaServerDir(dataDir, await findLlamaCppSource()), LLAMA_SERVER_BINARY);
}

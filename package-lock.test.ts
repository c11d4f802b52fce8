import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Lock {
  packages: Record<string, { version?: string; optionalDependencies?: Record<string, string>; os?: string[]; cpu?: string[]; resolved?: string; link?: boolean }>;
}
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as Lock;
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { allowScripts?: Record<string, boolean>; dependencies: Record<string, string> };

// node-llama-cpp is pinned to a version whose platform binaries are all on the registry, so one
// lockfile installs on Linux, macOS and Windows (with CUDA/Vulkan/Metal where they apply).
describe("package-lock.json", () => {
  it("holds every node-llama-cpp platform binary at the pinned version", () => {
    const nlc = lock.packages["node_modules/node-llama-cpp"];
    expect(nlc?.version).toBe(pkg.dependencies["node-llama-cpp"]);
    const platforms = Object.keys(nlc?.optionalDependencies ?? {}).filter((d) => d.startsWith("@node-llama-cpp/"));
    expect(platforms).toEqual(expect.arrayContaining(["@node-llama-cpp/linux-x64", "@node-llama-cpp/mac-arm64-metal", "@node-llama-cpp/win-x64", "@node-llama-cpp/linux-x64-cuda", "@node-llama-cpp/win-x64-vulkan"]));
    for (const name of platforms) expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(nlc?.version);
  });

  it("holds libsql's native binaries for the desktop platforms", () => {
    for (const name of ["linux-x64-gnu", "darwin-arm64", "darwin-x64", "win32-x64-msvc"]) expect(lock.packages[`node_modules/@libsql/${name}`], name).toBeDefined();
  });

  it("approves no dependency install script (everything ships prebuilt)", () => {
    expect(Object.values(pkg.allowScripts ?? {}).every((allowed) => allowed === false)).toBe(true);
  });

  it("the worker package (workspace worker-agent) depends on the root's runtime packages at the same versions", () => {
    const worker = JSON.parse(readFileSync("worker-agent/package.json", "utf8")) as { dependencies: Record<string, string> };
    expect(lock.packages["node_modules/llama-orch-worker"]).toMatchObject({ resolved: "worker-agent", link: true });
    for (const [name, version] of Object.entries(worker.dependencies)) expect(version, name).toBe(pkg.dependencies[name]);
    expect(Object.keys(worker.dependencies)).toEqual(expect.arrayContaining(["node-llama-cpp", "express", "zod", "pino", "prom-client"]));
    expect(Object.keys(worker.dependencies)).not.toContain("libsql");
  });
});

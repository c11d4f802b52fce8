import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { nodeLlamaCppDir } from "../engine/llama-server/llama-server-source.js";
import { cpuOnlyProbeResult, thisHost, vulkanIcdDirs, type HostFacts } from "./cpu-only-host.js";

// The agent skips the probe child only where no GPU backend can find a device: each thing that could
// make one find it sends it back to the real probe.

const root = mkdtempSync(join(tmpdir(), "cpu-only-host-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function host(over: Partial<HostFacts> = {}): HostFacts {
  const dir = join(root, String(n++));
  mkdirSync(join(dir, "dev"), { recursive: true });
  mkdirSync(join(dir, "icd"), { recursive: true });
  for (const name of ["null", "zero", "tty", "shm"]) writeFileSync(join(dir, "dev", name), "");
  return { platform: "linux", arch: "x64", env: { PATH: "/usr/bin", HOME: dir }, devDir: join(dir, "dev"), icdDirs: [join(dir, "icd")], nodeLlamaCppDir, ...over };
}

describe("cpuOnlyProbeResult", () => {
  it("a Linux x64 host without GPU device nodes or Vulkan drivers: the CPU, with the prebuilt binary's llama.cpp release", () => {
    expect(cpuOnlyProbeResult(host())).toEqual({ backend: "cpu", gpu_names: [], vram_total_bytes: 0, vram_free_bytes: 0, llama_cpp_release: expect.stringMatching(/^v|^b/), build_type: "prebuilt", supports_gpu_offloading: false });
  });

  it("any device node a GPU backend uses, a Vulkan driver, or a setting sends it to the real probe", () => {
    for (const node of ["nvidia0", "nvidiactl", "dxg", "kfd", "dri"]) {
      const facts = host();
      writeFileSync(join(facts.devDir, node), "");
      expect(cpuOnlyProbeResult(facts), node).toBeNull();
    }
    const withDriver = host();
    writeFileSync(join(withDriver.icdDirs[0] as string, "lvp_icd.x86_64.json"), "{}");
    expect(cpuOnlyProbeResult(withDriver)).toBeNull();
    for (const variable of ["NODE_LLAMA_CPP_GPU", "VK_ICD_FILENAMES", "VK_DRIVER_FILES", "CUDA_VISIBLE_DEVICES", "GGML_VK_VISIBLE_DEVICES"]) {
      const facts = host();
      expect(cpuOnlyProbeResult({ ...facts, env: { ...facts.env, [variable]: "x" } }), variable).toBeNull();
    }
  });

  it("another OS or architecture, an unreadable /dev, or no node-llama-cpp folder: the real probe", () => {
    expect(cpuOnlyProbeResult(host({ platform: "darwin" }))).toBeNull();
    expect(cpuOnlyProbeResult(host({ platform: "win32" }))).toBeNull();
    expect(cpuOnlyProbeResult(host({ arch: "arm" }))).toBeNull();
    expect(cpuOnlyProbeResult(host({ devDir: join(root, "no-such-dev") }))).toBeNull();
    expect(cpuOnlyProbeResult(host({ nodeLlamaCppDir: () => { throw new Error("not installed"); } }))).toBeNull();
  });

  it("reads the Vulkan loader's folders from the XDG variables", () => {
    const dirs = vulkanIcdDirs({ HOME: "/home/u", XDG_DATA_DIRS: "/opt/share:/usr/share" });
    expect(dirs).toEqual(expect.arrayContaining(["/home/u/.config/vulkan/icd.d", "/etc/xdg/vulkan/icd.d", "/etc/vulkan/icd.d", "/home/u/.local/share/vulkan/icd.d", "/opt/share/vulkan/icd.d", "/usr/share/vulkan/icd.d"]));
    expect(dirs).not.toContain("/usr/local/share/vulkan/icd.d");
  });

  // Where this machine itself qualifies, the shortcut must say exactly what the probe child (the compiled
  // one: `npm test` builds first) says.
  it.skipIf(cpuOnlyProbeResult(thisHost()) === null)("on this machine it answers what the probe child answers", async () => {
    const child = fork(fileURLToPath(new URL("../../dist/worker-agent/system/probe-host.js", import.meta.url)), [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const answer = await new Promise((resolve) => child.once("message", resolve));
    expect(answer).toEqual({ ok: true, result: cpuOnlyProbeResult(thisHost()) });
  });
});

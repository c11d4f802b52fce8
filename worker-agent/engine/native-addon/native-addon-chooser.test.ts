import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choiceAwaitsProbe, nativeAddonChooser, nativeAddonDir } from "./native-addon-chooser.js";
import { NATIVE_ADDON_FILE, NATIVE_ADDON_INFO_FILE, nativeAddonExpectations, type NativeAddonInfo } from "./native-addon-info.js";

// The agent's chooser against real folders: what it reads from build-info.json decides the build.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nlc-addon-"));
  dirs.push(dir);
  return dir;
}

function writeBuild(dir: string, info: unknown): void {
  writeFileSync(join(dir, NATIVE_ADDON_FILE), "");
  writeFileSync(join(dir, NATIVE_ADDON_INFO_FILE), typeof info === "string" ? info : JSON.stringify(info));
}

describe("nativeAddonChooser", () => {
  const expected = nativeAddonExpectations();
  const info: NativeAddonInfo = { version: `${expected.llamaCppTag}-0123456789`, tag: expected.llamaCppTag, node_llama_cpp: expected.nodeLlamaCppVersion, cpu: expected.cpu, cmake_options: {}, built_at: "2026-11-29T13:00:00.000Z", build_seconds: 1 };

  it("finds the build under <data_dir>/node-llama-cpp-native/<version>/ and picks it up once it appears", () => {
    const data = dataDir();
    const dir = nativeAddonDir({ data_dir: data }, expected);
    expect(dir).toBe(join(data, "node-llama-cpp-native", `${expected.nodeLlamaCppVersion}-${expected.llamaCppTag}`));
    const choose = nativeAddonChooser({ node_llama_cpp_addon: "auto", data_dir: data }, () => false);
    expect(choose("cpu")).toMatchObject({ binary: "prebuilt", reason: expect.stringContaining(`no native build in ${dir}`) });
    mkdirSync(dir, { recursive: true });
    writeBuild(dir, info);
    expect(choose("cpu")).toEqual({ binary: "native", dir, info });
    expect(choose(1)).toMatchObject({ binary: "prebuilt" });
  });

  it("uses node_llama_cpp_addon_dir, refuses a broken build when native is required, ignores it when prebuilt", () => {
    const dir = dataDir();
    writeBuild(dir, "{ not json");
    expect(nativeAddonChooser({ node_llama_cpp_addon: "native", node_llama_cpp_addon_dir: dir, data_dir: "/unused" }, () => false)("cpu")).toMatchObject({ binary: "refused", reason: expect.stringContaining(`${join(dir, NATIVE_ADDON_INFO_FILE)}:`) });
    writeBuild(dir, info);
    expect(nativeAddonChooser({ node_llama_cpp_addon: "native", node_llama_cpp_addon_dir: dir, data_dir: "/unused" }, () => false)("cpu")).toMatchObject({ binary: "native", dir });
    expect(nativeAddonChooser({ node_llama_cpp_addon: "prebuilt", node_llama_cpp_addon_dir: dir, data_dir: "/unused" }, () => false)("cpu")).toMatchObject({ binary: "prebuilt" });
    expect(nativeAddonChooser({ node_llama_cpp_addon: "auto", node_llama_cpp_addon_dir: dir, data_dir: "/unused" }, () => true)("auto")).toMatchObject({ binary: "prebuilt", reason: expect.stringContaining("a GPU was found") });
  });

  it("an auto pool waits for the host probe only when a native build is there to choose", () => {
    const data = dataDir();
    expect(choiceAwaitsProbe({ node_llama_cpp_addon: "auto", data_dir: data }, ["auto"])).toBe(false);
    const dir = nativeAddonDir({ data_dir: data }, expected);
    mkdirSync(dir, { recursive: true });
    writeBuild(dir, info);
    expect(choiceAwaitsProbe({ node_llama_cpp_addon: "auto", data_dir: data }, ["cpu", "auto"])).toBe(true);
    expect(choiceAwaitsProbe({ node_llama_cpp_addon: "native", data_dir: data }, ["auto"])).toBe(true);
    // A device chosen by the operator, or the prebuilt required, does not depend on the probe.
    expect(choiceAwaitsProbe({ node_llama_cpp_addon: "auto", data_dir: data }, ["cpu", 0])).toBe(false);
    expect(choiceAwaitsProbe({ node_llama_cpp_addon: "prebuilt", data_dir: data }, ["auto"])).toBe(false);
  });
});

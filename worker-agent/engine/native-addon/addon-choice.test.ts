import { describe, expect, it } from "vitest";
import { chooseAddon, type AddonChoiceInput } from "./addon-choice.js";
import type { NativeAddonInfo } from "./native-addon-info.js";

const expected = { llamaCppTag: "v0.4.0", nodeLlamaCppVersion: "3.21.1", cpu: "cpu-a" };
const info: NativeAddonInfo = {
  version: "v0.4.0-80fb11ac73",
  tag: "v0.4.0",
  node_llama_cpp: "3.21.1",
  cpu: "cpu-a",
  cmake_options: { GGML_NATIVE: "ON", GGML_OPENMP: "ON" },
  built_at: "2026-11-29T13:00:00.000Z",
  build_seconds: 600,
};
const base: AddonChoiceInput = { setting: "auto", device: "cpu", hasGpu: false, dir: "/data/nlc", read: { state: "present", info }, expected };

describe("chooseAddon", () => {
  it("loads a matching native build for a CPU pool, and for an auto pool on a machine without GPU", () => {
    expect(chooseAddon(base)).toEqual({ binary: "native", dir: "/data/nlc", info });
    expect(chooseAddon({ ...base, device: "auto" })).toEqual({ binary: "native", dir: "/data/nlc", info });
    expect(chooseAddon({ ...base, setting: "native" })).toEqual({ binary: "native", dir: "/data/nlc", info });
  });

  it("never uses it when the setting is prebuilt", () => {
    expect(chooseAddon({ ...base, setting: "prebuilt" })).toEqual({ binary: "prebuilt", reason: 'node_llama_cpp_addon is "prebuilt"' });
  });

  it.each<[string, Partial<AddonChoiceInput>, RegExp]>([
    ["a GPU index", { device: 0 }, /CPU-only and this pool's device is 0/],
    ["auto with a GPU", { device: "auto", hasGpu: true }, /device is auto \(a GPU was found\)/],
    ["no build", { read: { state: "missing" } }, /no native build in \/data\/nlc \(run `llama-orch-worker engine build --engine node-llama-cpp`\)/],
    ["a broken build-info.json", { read: { state: "invalid", error: "bad json" } }, /unreadable: bad json/],
    ["another llama.cpp", { read: { state: "present", info: { ...info, tag: "v0.3.0" } } }, /llama\.cpp v0\.3\.0, node-llama-cpp ships v0\.4\.0/],
    ["another node-llama-cpp", { read: { state: "present", info: { ...info, node_llama_cpp: "3.20.0" } } }, /node-llama-cpp 3\.20\.0, 3\.21\.1 is installed/],
    ["another CPU", { read: { state: "present", info: { ...info, cpu: "cpu-b" } } }, /another CPU \(fingerprint cpu-b, this one cpu-a\)/],
  ])("falls back to the prebuilt with the reason on %s (auto), refuses it (native)", (_name, change, reason) => {
    const auto = chooseAddon({ ...base, ...change });
    expect(auto.binary).toBe("prebuilt");
    expect(auto.binary !== "native" ? auto.reason : "").toMatch(reason);
    const native = chooseAddon({ ...base, ...change, setting: "native" });
    expect(native.binary).toBe("refused");
    expect(native.binary !== "native" ? native.reason : "").toMatch(/^node_llama_cpp_addon is "native" but /);
    expect(native.binary !== "native" ? native.reason : "").toMatch(reason);
  });
});

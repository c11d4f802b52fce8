import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeLlamaCppDir } from "../llama-server/llama-server-source.js";
import { ADDON_PATCHES, addonPatchId, addonPatchIds, addonPatchesSuffix, applyAddonPatches, type AddonPatch } from "./addon-patches.js";
import { nativeAddonExpectations } from "./native-addon-info.js";

// llama-orch's addon patches against the addon source of the installed node-llama-cpp (what `engine
// build --engine node-llama-cpp` copies), with real `git apply` (hence .int: it starts processes).

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of node-llama-cpp's llama/addon in a fresh folder, as the build makes it. */
function addonCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "nlc-addon-src-"));
  dirs.push(dir);
  cpSync(join(nodeLlamaCppDir(), "llama", "addon"), join(dir, "addon"), { recursive: true });
  return dir;
}

const version = nativeAddonExpectations().nodeLlamaCppVersion;
const sampleTokenSync = ADDON_PATCHES.find((p) => p.name === "sample-token-sync");

describe("llama-orch's addon patches", () => {
  it("apply to the installed node-llama-cpp's addon source and leave their marker", async () => {
    expect(sampleTokenSync).toBeDefined();
    const src = addonCopy();
    const before = readFileSync(join(src, "addon", "AddonContext.cpp"), "utf8");
    expect(before).not.toContain("llama-orch patch");
    await applyAddonPatches(src, version, () => {});
    const after = readFileSync(join(src, "addon", "AddonContext.cpp"), "utf8");
    for (const patch of ADDON_PATCHES) expect(readFileSync(join(src, patch.marker.file), "utf8")).toContain(patch.marker.text);
    // The sampling runs on the calling thread unless the sampler has a grammar or the switch is set.
    expect(after).toContain('InstanceMethod("sampleTokenSyncPatch"');
    expect(after).toMatch(/grammarEvaluationState == nullptr\) \{\s*worker->RunSync\(\);/);
    expect(after).toContain("LLORCH_NLC_SAMPLE_ASYNC");
  });

  it("fail the build naming the patch and node-llama-cpp's version when a patch does not apply, changing nothing", async () => {
    const src = addonCopy();
    await applyAddonPatches(src, version, () => {});
    const patched = readFileSync(join(src, "addon", "AddonContext.cpp"), "utf8");
    // Applying again: the source no longer matches the diff's context, as after a node-llama-cpp upgrade.
    await expect(applyAddonPatches(src, version, () => {})).rejects.toThrow(
      new RegExp(`^llama-orch's addon patch sample-token-sync@[0-9a-f]{12} does not apply to node-llama-cpp ${version.replaceAll(".", "\\.")}'s addon source .*git apply failed`, "s"),
    );
    expect(readFileSync(join(src, "addon", "AddonContext.cpp"), "utf8")).toBe(patched);
  });

  it("fail when git apply succeeds but the marker is not in the source (the patch did not reach the file)", async () => {
    const src = addonCopy();
    writeFileSync(join(src, "other.txt"), "a\n");
    const elsewhere: AddonPatch = {
      name: "elsewhere",
      diff: "diff --git a/other.txt b/other.txt\n--- a/other.txt\n+++ b/other.txt\n@@ -1 +1 @@\n-a\n+b\n",
      marker: { file: "addon/AddonContext.cpp", text: "llama-orch patch (elsewhere)" },
    };
    await expect(applyAddonPatches(src, version, () => {}, [elsewhere])).rejects.toThrow(/^llama-orch's addon patch elsewhere@[0-9a-f]{12} was not applied to .*AddonContext\.cpp/);
  });

  it("are identified by name and the hash of their text, which names the build's folder", () => {
    expect(sampleTokenSync).toBeDefined();
    const patch = sampleTokenSync as AddonPatch;
    expect(addonPatchId(patch)).toMatch(/^sample-token-sync@[0-9a-f]{12}$/);
    expect(addonPatchId({ ...patch, diff: `${patch.diff}\n` })).not.toBe(addonPatchId(patch));
    expect(addonPatchIds()).toEqual(ADDON_PATCHES.map(addonPatchId));
    expect(addonPatchesSuffix([])).toBe("");
    expect(addonPatchesSuffix(addonPatchIds())).toMatch(/^-llorch-[0-9a-f]{8}$/);
    expect(addonPatchesSuffix(["other@000000000000"])).not.toBe(addonPatchesSuffix(addonPatchIds()));
  });
});

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../llama-server/llama-server-build.js";
import { SAMPLE_TOKEN_SYNC_DIFF } from "./patches/sample-token-sync.js";

// llama-orch's own patches to node-llama-cpp's addon sources (its llama/ folder: addon/*.cpp), applied
// by the native build after copying them. A build records the ids of the patches it carries
// (build-info.json "patches"), and a pool uses a build only when they are the ones this worker applies
// (addon-choice.ts), so a patched build is never mistaken for an unpatched one, nor the other way round.

export interface AddonPatch {
  /** Short name, part of the id. */
  name: string;
  /** A unified diff against node-llama-cpp's llama/ folder (paths addon/…). */
  diff: string;
  /** A line the patched source must contain: proof that it was applied, not skipped. */
  marker: { file: string; text: string };
}

export const ADDON_PATCHES: readonly AddonPatch[] = [
  { name: "sample-token-sync", diff: SAMPLE_TOKEN_SYNC_DIFF, marker: { file: "addon/AddonContext.cpp", text: "llama-orch patch (sample-token-sync)" } },
];

/** `<name>@<first 12 hex of the diff's sha256>`: changes whenever the patch's text does. */
export function addonPatchId(patch: AddonPatch): string {
  return `${patch.name}@${createHash("sha256").update(patch.diff).digest("hex").slice(0, 12)}`;
}

export function addonPatchIds(patches: readonly AddonPatch[] = ADDON_PATCHES): string[] {
  return patches.map(addonPatchId);
}

/** The part of a build's folder name that tells patch sets apart ("" for none): `-llorch-<8 hex>`. */
export function addonPatchesSuffix(ids: readonly string[]): string {
  return ids.length === 0 ? "" : `-llorch-${createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 8)}`;
}

/**
 * Applies each patch to the copy of node-llama-cpp's llama/ folder in `srcDir` (`git apply`, which
 * changes nothing when any hunk fails), then checks its marker. Throws naming the patch and
 * node-llama-cpp's version when one does not apply: an upgraded node-llama-cpp needs the patch redone.
 */
export async function applyAddonPatches(srcDir: string, nodeLlamaCppVersion: string, say: (line: string) => void, patches: readonly AddonPatch[] = ADDON_PATCHES): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), "nlc-addon-patch-"));
  try {
    for (const patch of patches) {
      const file = join(tmp, `${patch.name}.diff`);
      await writeFile(file, patch.diff);
      try {
        await run("git", ["apply", "--whitespace=nowarn", file], srcDir, say);
      } catch (error) {
        throw new Error(`llama-orch's addon patch ${addonPatchId(patch)} does not apply to node-llama-cpp ${nodeLlamaCppVersion}'s addon source (worker-agent/engine/native-addon/patches/ must be updated for this node-llama-cpp): ${error instanceof Error ? error.message : String(error)}`);
      }
      // git apply run inside another repository's work tree skips paths outside it without an error.
      const patched = await readFile(join(srcDir, patch.marker.file), "utf8");
      if (!patched.includes(patch.marker.text)) throw new Error(`llama-orch's addon patch ${addonPatchId(patch)} was not applied to ${join(srcDir, patch.marker.file)} (git apply reported success)`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

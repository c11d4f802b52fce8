import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { z } from "zod";

// The llama.cpp source node-llama-cpp ships (llama/gitRelease.bundle in its npm package): building
// llama-server from it gives the same llama.cpp the default engine runs, so the two engines differ
// only in what surrounds llama.cpp.

const InfoSchema = z.object({ tag: z.string().min(1) });

export interface LlamaCppSource {
  /** node-llama-cpp's llama/ folder. */
  dir: string;
  bundle: string;
  /** The bundle's release tag (llama.cpp.info.json). */
  tag: string;
  /** The bundle's HEAD commit. */
  commit: string;
  /** `<tag>-<commit10>`: names the build in caches. */
  version: string;
}

/** node-llama-cpp's package folder, found from its resolved entry point (its exports hide package.json). */
export function nodeLlamaCppDir(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "llama"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("node-llama-cpp's package folder was not found");
    dir = parent;
  }
  return dir;
}

export async function findLlamaCppSource(): Promise<LlamaCppSource> {
  const dir = join(nodeLlamaCppDir(), "llama");
  const bundle = join(dir, "gitRelease.bundle");
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: this node-llama-cpp install ships no llama.cpp source`);
  const info = InfoSchema.parse(JSON.parse(readFileSync(join(dir, "llama.cpp.info.json"), "utf8")));
  const { stdout } = await promisify(execFile)("git", ["bundle", "list-heads", bundle]);
  const commit = /^([0-9a-f]{40})\s/m.exec(stdout)?.[1];
  if (commit === undefined) throw new Error(`git bundle list-heads ${bundle} printed no commit`);
  return { dir, bundle, tag: info.tag, commit, version: `${info.tag}-${commit.slice(0, 10)}` };
}

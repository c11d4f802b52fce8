import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import type { DiscoveredModel } from "../../../src-shared/catalog/discovered-model.js";

type Found = Omit<DiscoveredModel, "in_store">;

/** The folders other tools keep GGUF models in, for a home dir (their env overrides included). */
export function discoveryRoots(home: string, env: NodeJS.ProcessEnv): { source: Found["source"]; dir: string }[] {
  const cache = env.XDG_CACHE_HOME || join(home, ".cache");
  const hfHub = env.HF_HUB_CACHE || join(env.HF_HOME || join(cache, "huggingface"), "hub");
  return [
    { source: "lmstudio", dir: join(home, ".lmstudio", "models") },
    { source: "lmstudio", dir: join(cache, "lm-studio", "models") },
    { source: "ollama", dir: env.OLLAMA_MODELS || join(home, ".ollama", "models") },
    { source: "llama.cpp", dir: env.LLAMA_CACHE || join(cache, "llama.cpp") },
    { source: "huggingface", dir: hfHub },
  ];
}

async function ggufFiles(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if ((e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith(".gguf")) out.push(path);
    else if (e.isDirectory() && depth > 0) out.push(...(await ggufFiles(path, depth - 1)));
  }
  return out;
}

const sizeOf = async (path: string) => (await stat(path).catch(() => null))?.size ?? null;

async function folderModels(source: Found["source"], dir: string, depth: number, label: (path: string) => string): Promise<Found[]> {
  const found: Found[] = [];
  for (const path of await ggufFiles(dir, depth)) {
    const size = await sizeOf(path);
    if (size !== null) found.push({ source, label: label(path), path, file_name: basename(path), size_bytes: size, sha256: null });
  }
  return found;
}

const OllamaManifest = z.object({ layers: z.array(z.object({ mediaType: z.string(), digest: z.string(), size: z.number() })) });

/** Ollama: manifests/<registry>/<namespace>/<model>/<tag> name a content-addressed blob per model. */
async function ollamaModels(dir: string): Promise<Found[]> {
  const found: Found[] = [];
  const manifests = join(dir, "manifests");
  for (const registry of await readdir(manifests).catch(() => [])) {
    for (const namespace of await readdir(join(manifests, registry)).catch(() => [])) {
      for (const model of await readdir(join(manifests, registry, namespace)).catch(() => [])) {
        for (const tag of await readdir(join(manifests, registry, namespace, model)).catch(() => [])) {
          const parsed = OllamaManifest.safeParse(JSON.parse(await readFile(join(manifests, registry, namespace, model, tag), "utf8").catch(() => "null")));
          const layer = parsed.success ? parsed.data.layers.find((l) => l.mediaType === "application/vnd.ollama.image.model") : undefined;
          const sha = /^sha256:([0-9a-f]{64})$/.exec(layer?.digest ?? "")?.[1];
          if (sha === undefined) continue;
          const path = join(dir, "blobs", `sha256-${sha}`);
          const size = await sizeOf(path);
          const name = `${namespace === "library" ? "" : `${namespace}/`}${model}:${tag}`;
          if (size !== null) found.push({ source: "ollama", label: name, path, file_name: `${name.replace(/[^A-Za-z0-9._-]/g, "-")}.gguf`, size_bytes: size, sha256: sha });
        }
      }
    }
  }
  return found;
}

/** Every GGUF in the model folders of LM Studio, Ollama, llama.cpp's cache and the Hugging Face cache. */
export async function discoverModels(home: string, env: NodeJS.ProcessEnv): Promise<{ models: Found[]; searched: string[] }> {
  const roots = discoveryRoots(home, env);
  const models: Found[] = [];
  for (const { source, dir } of roots) {
    if (source === "ollama") models.push(...(await ollamaModels(dir)));
    else if (source === "huggingface") models.push(...(await folderModels(source, dir, 5, (p) => p.slice(dir.length + 1).replace(/^models--([^/]+)--([^/]+)\/snapshots\/[^/]+\//, "$1/$2/"))));
    else models.push(...(await folderModels(source, dir, 3, (p) => p.slice(dir.length + 1))));
  }
  return { models, searched: roots.map((r) => r.dir) };
}

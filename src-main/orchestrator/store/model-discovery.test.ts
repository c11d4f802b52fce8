import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { makeTinyGguf } from "../../../scripts/gguf/tiny-llama-model.js";
import { useInPlace } from "./in-place.js";
import { discoverModels } from "./model-discovery.js";
import { ModelStore } from "./model-store.js";

// Fake layouts of LM Studio, Ollama, llama.cpp's cache and the Hugging Face cache in a temp HOME.
async function fakeHome(): Promise<{ home: string; ollamaSha: string }> {
  const home = await mkdtemp(join(tmpdir(), "llorch-discovery-"));
  const gguf = (seed: number) => makeTinyGguf({ size: "tiny", seed, name: `found-${seed}` });
  const put = async (path: string, data: Uint8Array | string) => {
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, data);
  };
  await put(join(home, ".lmstudio/models/lmstudio-community/Tiny-GGUF/tiny-Q8_0.gguf"), gguf(1));
  const blob = gguf(2);
  const ollamaSha = createHash("sha256").update(blob).digest("hex");
  await put(join(home, `.ollama/models/blobs/sha256-${ollamaSha}`), blob);
  await put(join(home, ".ollama/models/manifests/registry.ollama.ai/library/tinyllama/latest"), JSON.stringify({ layers: [{ mediaType: "application/vnd.ollama.image.template", digest: `sha256:${"1".repeat(64)}`, size: 10 }, { mediaType: "application/vnd.ollama.image.model", digest: `sha256:${ollamaSha}`, size: blob.length }] }));
  await put(join(home, ".cache/llama.cpp/ggml-org_tiny_tiny-f16.gguf"), gguf(3));
  const hfBlob = join(home, ".cache/huggingface/hub/models--acme--tiny-GGUF/blobs/abc");
  await put(hfBlob, gguf(4));
  const snap = join(home, ".cache/huggingface/hub/models--acme--tiny-GGUF/snapshots/0123abc");
  await mkdir(snap, { recursive: true });
  await symlink(hfBlob, join(snap, "tiny-q4.gguf"));
  await put(join(home, ".lmstudio/models/x/y/readme.md"), "not a model");
  return { home, ollamaSha };
}

describe("model discovery", () => {
  it("finds GGUFs in LM Studio, Ollama (through its manifests), llama.cpp and Hugging Face caches", async () => {
    const { home, ollamaSha } = await fakeHome();
    const { models, searched } = await discoverModels(home, {});
    expect(models.map((m) => [m.source, m.label]).sort()).toEqual([
      ["huggingface", "acme/tiny-GGUF/tiny-q4.gguf"],
      ["llama.cpp", "ggml-org_tiny_tiny-f16.gguf"],
      ["lmstudio", "lmstudio-community/Tiny-GGUF/tiny-Q8_0.gguf"],
      ["ollama", "tinyllama:latest"],
    ]);
    expect(models.find((m) => m.source === "ollama")).toMatchObject({ sha256: ollamaSha, file_name: "tinyllama-latest.gguf" });
    expect(searched).toContain(join(home, ".ollama", "models"));
    // OLLAMA_MODELS moves Ollama's folder: nothing is found at the default then.
    expect((await discoverModels(home, { OLLAMA_MODELS: join(home, "elsewhere") })).models.some((m) => m.source === "ollama")).toBe(false);
  });

  it("uses a discovered model in place: hashed where it is, linked (not copied) into the store", async () => {
    const { home, ollamaSha } = await fakeHome();
    const { models } = await discoverModels(home, {});
    const store = new ModelStore(join(home, "orch-data", "models"), pino({ level: "silent" }));
    const ollama = models.find((m) => m.source === "ollama");
    const model = await useInPlace(store, ollama?.path ?? "", models.map((m) => ({ ...m, in_store: false })));
    expect(model).toMatchObject({ sha256: ollamaSha, origin: "in_place", source: ollama?.path, gguf_name: "found-2" });
    expect((await lstat(store.pathOf(ollamaSha))).isSymbolicLink()).toBe(true);
    expect((await readdir(store.dir)).sort()).toEqual([`${ollamaSha}.gguf`, `${ollamaSha}.json`]);
    await expect(useInPlace(store, "/etc/hostname", [])).rejects.toThrow(/not among the discovered/);
  });
});

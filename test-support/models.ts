// Generated GGUF models for tests (see scripts/gguf). global-setup.ts calls ensureTestModels() once per run,
// so every test file can simply load testModelPath(kind). Files live in test-support/.models (gitignored).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTinyGguf, type TinyGgufOptions } from "../scripts/gguf/tiny-llama-model.js";
import { writeFileAtomic } from "../scripts/gguf/write-tiny-gguf.js";

export type TestModelKind = "tiny" | "tiny-chatml" | "tiny-b" | "medium" | "tiny-reranker" | "tiny-fim";

/** What each test model is; `options.name` is the model's general.name (its friendly name). */
export const TEST_MODELS: Readonly<Record<TestModelKind, Readonly<{ file: string; options: Readonly<TinyGgufOptions> }>>> = {
  tiny: { file: "tiny.gguf", options: { size: "tiny", seed: 42, name: "llama-orch-test-tiny" } },
  // ctx 4096: room for the function-calling system prompt chat wrappers write (about 700 tokens for two tools).
  "tiny-chatml": {
    file: "tiny-chatml.gguf",
    options: { size: "tiny", seed: 42, chatTemplate: "chatml", ctx: 4096, name: "llama-orch-test-tiny-chatml" },
  },
  "tiny-b": { file: "tiny-b.gguf", options: { size: "tiny", seed: 1337, name: "llama-orch-test-tiny-b" } },
  // ctx 4096: long generations (thousands of tokens) for tests that must see streaming over wall time.
  medium: { file: "medium.gguf", options: { size: "medium", seed: 42, ctx: 4096, name: "llama-orch-test-medium" } },
  // Fill-in-the-middle tokens (<PRE>, <SUF>, <MID>, <EOT>): serves completions with a suffix.
  "tiny-fim": { file: "tiny-fim.gguf", options: { size: "tiny", seed: 42, fim: true, name: "llama-orch-test-tiny-fim" } },
  // A BERT encoder with a ranking head (pooling rank, cls.* tensors): serves /v1/rerank, cannot generate.
  "tiny-reranker": {
    file: "tiny-reranker.gguf",
    options: { arch: "bert-reranker", size: "tiny", seed: 42, name: "llama-orch-test-tiny-reranker" },
  },
};

export const TEST_MODEL_KINDS = Object.keys(TEST_MODELS) as TestModelKind[];

export const TEST_MODELS_DIR = fileURLToPath(new URL("./.models/", import.meta.url));

export function testModelPath(kind: TestModelKind): string {
  return join(TEST_MODELS_DIR, TEST_MODELS[kind].file);
}

/** general.name of a test model. */
export function testModelName(kind: TestModelKind): string {
  return TEST_MODELS[kind].options.name ?? kind;
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Generates every missing (or stale, i.e. not what the current generator produces) test model.
 * Replacement is atomic (temp file + rename), so a file another process has mmapped is never rewritten in place.
 * Returns the kinds that were (re)written.
 */
export async function ensureTestModels(kinds: readonly TestModelKind[] = TEST_MODEL_KINDS): Promise<TestModelKind[]> {
  const written: TestModelKind[] = [];
  for (const kind of kinds) {
    const path = testModelPath(kind);
    const expected = makeTinyGguf(TEST_MODELS[kind].options);
    const existing = await readIfExists(path);
    if (existing && Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength).equals(expected)) continue;
    await writeFileAtomic(path, expected);
    written.push(kind);
  }
  return written;
}

import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { StoreModel } from "../../../src-shared/catalog/store-model.js";
import { ModelStore } from "./model-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "llorch-store-"));
  dirs.push(dir);
  return dir;
}
const logger = pino({ level: "silent" });
const SHA = "ab".repeat(32);
// The name an import's part gets (ModelStore.importPartPath).
const importPart = (store: ModelStore) => store.partPath(`import-${randomUUID()}`);
const model = (fileName: string): StoreModel => ({ sha256: SHA, file_name: fileName, size_bytes: 5, gguf_name: null, architecture: "llama", context_length: null, has_chat_template: false, origin: "upload", source: null, added_at_ms: 1 });

describe("ModelStore", () => {
  it("adds the same bytes twice at once: both answer the one model, and neither part is left", async () => {
    const store = new ModelStore(storeDir(), logger);
    const parts = [importPart(store), importPart(store), importPart(store)];
    for (const part of parts) writeFileSync(part, "bytes");
    // Before: each add renamed `<sha256>.json.tmp` in turn and the later renames found it gone (500 INTERNAL).
    const added = await Promise.all(parts.map((part, i) => store.add(model(`m${i}.gguf`), { part })));
    expect(new Set(added.map((m) => m.file_name))).toEqual(new Set(["m0.gguf"]));
    expect(readdirSync(store.dir).sort()).toEqual([`${SHA}.gguf`, `${SHA}.json`]);
    expect(store.list()).toHaveLength(1);
  });

  it("removes an import's part left by a crash at start-up, keeping a hub pull's (it resumes)", () => {
    const dir = storeDir();
    const left = importPart(new ModelStore(dir, logger));
    writeFileSync(left, "half an upload");
    writeFileSync(join(dir, `.pull-${"c".repeat(32)}.part`), "half a pull");
    new ModelStore(dir, logger);
    expect(readdirSync(dir)).toEqual([`.pull-${"c".repeat(32)}.part`]);
  });
});

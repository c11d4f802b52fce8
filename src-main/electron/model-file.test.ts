import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ShellError } from "./ipc-registrar.js";
import { copyModelIntoFolder, freeFileName, hasGgufMagic } from "./model-file.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "llorch-modelfile-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeGguf(path: string, body = "payload"): void {
  writeFileSync(path, Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), Buffer.from(body)]));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (err) {
    return err instanceof ShellError ? err.code : `other: ${String(err)}`;
  }
}

describe("copyModelIntoFolder", () => {
  it("copies a GGUF into the models folder (created if needed), leaving no temp file", async () => {
    const src = join(tempDir(), "TinyLlama.Q4.gguf");
    fakeGguf(src);
    const models = join(tempDir(), "models", "nested");
    const copied = await copyModelIntoFolder(src, models);
    expect(copied).toEqual({ fileName: "TinyLlama.Q4.gguf", path: join(models, "TinyLlama.Q4.gguf"), bytes: 15 });
    expect(readFileSync(copied.path)).toEqual(readFileSync(src));
    expect(readdirSync(models)).toEqual(["TinyLlama.Q4.gguf"]);
  });

  it("never overwrites: a second copy gets a new name", async () => {
    const src = join(tempDir(), "m.gguf");
    fakeGguf(src, "first");
    const models = tempDir();
    await copyModelIntoFolder(src, models);
    fakeGguf(src, "second");
    const again = await copyModelIntoFolder(src, models);
    expect(again.fileName).toBe("m-2.gguf");
    expect(readFileSync(join(models, "m.gguf")).toString()).toContain("first");
    expect(readdirSync(models).sort()).toEqual(["m-2.gguf", "m.gguf"]);
  });

  it("refuses files that are not GGUF models", async () => {
    const dir = tempDir();
    const models = tempDir();
    writeFileSync(join(dir, "notes.txt"), "hello");
    writeFileSync(join(dir, "fake.gguf"), "not a model");
    mkdirSync(join(dir, "folder.gguf"));
    expect(await codeOf(copyModelIntoFolder(join(dir, "notes.txt"), models))).toBe("NOT_A_MODEL");
    expect(await codeOf(copyModelIntoFolder(join(dir, "fake.gguf"), models))).toBe("NOT_A_MODEL");
    expect(await codeOf(copyModelIntoFolder(join(dir, "folder.gguf"), models))).toBe("NOT_A_MODEL");
    expect(await codeOf(copyModelIntoFolder(join(dir, "missing.gguf"), models))).toBe("OS_ERROR");
    expect(readdirSync(models)).toEqual([]);
  });

  it("helpers: magic check and free names", async () => {
    const dir = tempDir();
    fakeGguf(join(dir, "a.gguf"));
    writeFileSync(join(dir, "short.gguf"), "GG");
    expect(await hasGgufMagic(join(dir, "a.gguf"))).toBe(true);
    expect(await hasGgufMagic(join(dir, "short.gguf"))).toBe(false);
    expect(await freeFileName(dir, "a.gguf")).toBe("a-2.gguf");
    expect(await freeFileName(dir, "b.gguf")).toBe("b.gguf");
  });
});

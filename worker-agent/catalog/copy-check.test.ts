import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { judgeCopy } from "./copy-check.js";
import { fileSha256 } from "./file-sha256.js";

const dir = await mkdtemp(join(tmpdir(), "llorch-copy-check-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("judgeCopy: model identity is the verified sha256", () => {
  it("a first sighting is judged on its own: whole → ok, shorter than its header says → incomplete (not served, not moved)", async () => {
    expect(await judgeCopy("/x", { sha256: "a".repeat(64), size: 100, ino: 1, min_file_bytes: 100 }, undefined)).toEqual({ kind: "ok" });
    expect(await judgeCopy("/x", { sha256: "a".repeat(64), size: 50, ino: 1, min_file_bytes: 100 }, undefined)).toMatchObject({ kind: "incomplete" });
  });

  it("a verified file changed in place (same inode) is corrupt; replaced by a rename (new inode) it is a new file", async () => {
    const before = { sha256: "a".repeat(64), size: 100, ino: 7 };
    expect(await judgeCopy("/x", { sha256: "b".repeat(64), size: 100, ino: 7 }, before)).toMatchObject({ kind: "corrupt", expected: "a".repeat(64) });
    expect(await judgeCopy("/x", { sha256: "b".repeat(64), size: 50, ino: 7, min_file_bytes: 100 }, before)).toMatchObject({ kind: "corrupt", reason: expect.stringMatching(/^truncated/) });
    expect(await judgeCopy("/x", { sha256: "b".repeat(64), size: 100, ino: 8 }, before)).toEqual({ kind: "ok" });
    expect(await judgeCopy("/x", { sha256: "a".repeat(64), size: 100, ino: 7 }, before)).toEqual({ kind: "ok" });
  });

  it("a file that only grew past its verified bytes is a copy still being written, not a corruption", async () => {
    const path = join(dir, "growing.gguf");
    await writeFile(path, Buffer.alloc(1000, 1));
    const before = { sha256: await fileSha256(path), size: 1000, ino: 3 };
    await appendFile(path, Buffer.alloc(500, 2));
    expect(await judgeCopy(path, { sha256: await fileSha256(path), size: 1500, ino: 3 }, before)).toEqual({ kind: "ok" });
    await writeFile(path, Buffer.alloc(1500, 9));
    expect(await judgeCopy(path, { sha256: await fileSha256(path), size: 1500, ino: 3 }, before)).toMatchObject({ kind: "corrupt" });
  });
});

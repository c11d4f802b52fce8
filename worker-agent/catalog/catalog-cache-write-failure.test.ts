// A worker whose disk is full keeps serving its models, and says so once: the catalog cache write
// failed at every scan (every catalog_poll_ms, 2 s) with a warn line each time, and left a partial
// temp file holding the space the next write needed.
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { ModelCatalog } from "./model-catalog.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "catalog-cache-write-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a catalog cache that cannot be written (a full disk)", () => {
  it("is warned about once while the writes keep failing, not at every scan", async () => {
    await writeFile(join(dir, "tiny.gguf"), await readFile(testModelPath("tiny")));
    // The cache's folder is a regular file: every write fails, as on a full disk.
    await writeFile(join(dir, "state"), "not a folder");
    const lines: { msg?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    const catalog = new ModelCatalog(dir, join(dir, "state", "catalog-cache.json"), 60_000, pino({ level: "info" }, sink));
    await catalog.start();
    for (let i = 0; i < 3; i++) await catalog.scan();
    catalog.stop();
    // The model is served all the same.
    expect(catalog.list().map((m) => m.file_name)).toEqual(["tiny.gguf"]);
    expect(lines.filter((l) => l.msg?.startsWith("cannot write catalog cache") === true)).toHaveLength(1);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

// A truncated GGUF left in the models folder (an interrupted download) is not served, and is hashed
// once, not at every scan: its digest stays in the catalog cache while the file is unchanged.
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { ModelCatalog } from "./model-catalog.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "catalog-incomplete-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("an incomplete model file in the catalog", () => {
  it("is skipped and hashed once, however many scans run", async () => {
    const whole = await readFile(testModelPath("tiny"));
    const path = join(dir, "cut.gguf");
    await writeFile(path, whole.subarray(0, whole.byteLength - 100_000));
    // Settled long ago: not a copy still being written.
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path, past, past);
    const lines: { msg?: string; file?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as { msg?: string; file?: string });
        done();
      },
    });
    const catalog = new ModelCatalog(dir, join(dir, "state", "catalog-cache.json"), 60_000, pino({ level: "info" }, sink));
    await catalog.start();
    for (let i = 0; i < 3; i++) await catalog.scan();
    catalog.stop();
    expect(catalog.list()).toEqual([]);
    // Before: "model hashed" at every scan (4 here; every 2 s in a running agent, the whole file each time).
    expect(lines.filter((l) => l.msg === "model hashed" && l.file === "cut.gguf")).toHaveLength(1);
    expect(lines.filter((l) => l.msg === "model file incomplete; not served until it is whole")).toHaveLength(1);
  });
});

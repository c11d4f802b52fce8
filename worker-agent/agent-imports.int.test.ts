import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/models.js";

// The agent process reads GGUF headers and runs llama-server pools but never llama.cpp itself, so it must
// not import node-llama-cpp's package entry (its whole API: ~0.5 CPU-s more at every agent start).
// A load hook lists every module a child loads while importing the compiled agent, reading a model's
// header (the catalog and the llama-server engine's readers) and building a schema grammar for llama-server.

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
export async function load(url, context, next) {
  if (url.includes("/node-llama-cpp/")) process.stderr.write("LOADED " + url + "\\\\n");
  return next(url, context);
}\`));
`)}`;

function loadedNodeLlamaCppFiles(script: string): string[] {
  const run = spawnSync(process.execPath, ["--import", HOOK, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr
    .split("\n")
    .filter((line) => line.startsWith("LOADED "))
    .map((line) => line.slice("LOADED ".length).replace(/^.*\/node-llama-cpp\//, ""));
}

describe("the agent process's imports", () => {
  it("reads GGUF headers and serves llama-server grammars with node-llama-cpp's parser files only, never its package entry", () => {
    const model = testModelPath("tiny-fim");
    const files = loadedNodeLlamaCppFiles(`
      await import(${JSON.stringify(`${DIST}worker-agent/agent.js`)});
      const { readGgufModelMetadata } = await import(${JSON.stringify(`${DIST}worker-agent/catalog/gguf-metadata.js`)});
      const { ggufVocabulary } = await import(${JSON.stringify(`${DIST}worker-agent/engine/llama-server/gguf-vocabulary.js`)});
      const { formatGrammar } = await import(${JSON.stringify(`${DIST}worker-agent/engine/llama-server/llama-server-grammar.js`)});
      const metadata = await readGgufModelMetadata(${JSON.stringify(model)});
      if (!metadata.fill_in_middle || metadata.quantization === undefined) throw new Error("header not read: " + JSON.stringify(metadata));
      if ((await ggufVocabulary(${JSON.stringify(model)})).size === undefined) throw new Error("vocabulary not read");
      const grammar = await formatGrammar({ type: "json_schema", schema: { type: "object", properties: { n: { type: "integer", minimum: 0 } }, required: ["n"] } });
      if (grammar?.ok !== true) throw new Error("no grammar");
    `);
    // The parser was used (the check is not vacuous) ...
    expect(files.some((file) => file.endsWith("dist/gguf/readGgufFileInfo.js"))).toBe(true);
    // ... and the package entry, which loads everything else, was not.
    expect(files.filter((file) => file === "dist/index.js")).toEqual([]);
  });
});

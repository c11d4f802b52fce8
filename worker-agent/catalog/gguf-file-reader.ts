import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { GgufFileType as GgufFileTypeEnum, readGgufFileInfo as ReadGgufFileInfo } from "node-llama-cpp";
import { nodeLlamaCppDir } from "../engine/llama-server/llama-server-source.js";

// The agent reads GGUF headers (catalog, llama-server pools) with node-llama-cpp's pure-JS parser, but it
// never runs llama.cpp itself (engine children do). Importing node-llama-cpp's package entry loads its
// whole API (~1,500 modules: bindings, chat wrappers, the CLI's helpers): 0.75 CPU-s against 0.25 for
// the parser's own files, paid at every agent start. Its package exports hide those files, so they are
// imported by path, as llama-server-grammar.ts imports the schema grammar generator; a node-llama-cpp
// that moved them falls back to the package entry (slower, same result).

export interface GgufFileReader {
  readGgufFileInfo: typeof ReadGgufFileInfo;
  /** The file-type enum (number → name), for the quantization's name. */
  GgufFileType: typeof GgufFileTypeEnum;
}

let reader: Promise<GgufFileReader> | undefined;

async function load(): Promise<GgufFileReader> {
  const gguf = join(nodeLlamaCppDir(), "dist", "gguf");
  const files = { read: join(gguf, "readGgufFileInfo.js"), types: join(gguf, "types", "GgufMetadataTypes.js") };
  if (existsSync(files.read) && existsSync(files.types)) {
    const read = (await import(pathToFileURL(files.read).href)) as Partial<GgufFileReader>;
    const types = (await import(pathToFileURL(files.types).href)) as Partial<GgufFileReader>;
    if (typeof read.readGgufFileInfo === "function" && typeof types.GgufFileType === "object") return { readGgufFileInfo: read.readGgufFileInfo, GgufFileType: types.GgufFileType };
  }
  const all = await import("node-llama-cpp");
  return { readGgufFileInfo: all.readGgufFileInfo, GgufFileType: all.GgufFileType };
}

/** node-llama-cpp's GGUF header reader, loaded once on first use. */
export function ggufFileReader(): Promise<GgufFileReader> {
  reader ??= load();
  return reader;
}

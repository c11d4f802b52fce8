import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LlamaText, type Llama, type LlamaGrammar } from "node-llama-cpp";
import { nodeLlamaCppDir } from "./llama-server/llama-server-source.js";

// `format: {type: "json"}`'s grammar. node-llama-cpp's `llama.getGrammarFor("json")` looks for its
// grammars by build type: for a "localBuild", which is how the native build is loaded
// (load-native-addon.ts), it wants a llama.cpp clone inside node_modules and otherwise throws "Grammars
// folder not found". The same json.gbnf ships in the package's llama/grammars (what the prebuilt path
// reads), so it is read from there for both builds, with getFor's own options (LlamaGrammar.js).

let jsonGbnf: Promise<string> | undefined;

export async function jsonGrammar(llama: Llama): Promise<LlamaGrammar> {
  jsonGbnf ??= readFile(join(nodeLlamaCppDir(), "llama", "grammars", "json.gbnf"), "utf8");
  // getFor's workaround for a model that does not stop: four newlines end the generation.
  return llama.createGrammar({ grammar: await jsonGbnf, stopGenerationTriggers: [LlamaText(["\n".repeat(4)])], trimWhitespaceSuffix: true });
}

import type { GgufFileInfo } from "node-llama-cpp";
import { headerFacts, workloadsOf } from "../../src-shared/models/model-workloads.js";
import type { Workload } from "../../src-shared/tasks/task-request.js";
import { fimTokensOf } from "../engine/llama-server/gguf-fim-tokens.js";
import { ggufFileReader, type GgufFileReader } from "./gguf-file-reader.js";
import { checkGgufHead } from "./gguf-head-check.js";

/** What the catalog reports about a GGUF file, read from its header (no weights are loaded). */
export interface GgufModelMetadata {
  name?: string;
  architecture?: string;
  context_length?: number;
  parameter_count?: number;
  quantization?: string;
  has_chat_template: boolean;
  /** It has fill-in-the-middle tokens (gguf-fim-tokens.ts): a completion with a suffix can be served (Ollama's "insert"). */
  fill_in_middle: boolean;
  /** What it can serve (src-shared/models/model-workloads.ts). */
  workloads: Workload[];
  /** Bytes the file must have at least for every tensor its header lists (a shorter file is truncated). */
  min_file_bytes?: number;
}

// Bytes per element of the unquantized types; a quantized tensor counts at least one byte.
const ELEMENT_BYTES: Readonly<Partial<Record<number, number>>> = { 0: 4, 1: 2, 24: 1, 25: 2, 26: 4, 27: 8, 28: 8, 30: 2 };

/** The end of the last tensor's data as the header describes it (a lower bound for quantized types). */
function tensorDataEnd(tensors: readonly { dimensions: readonly (number | bigint)[]; ggmlType: number; fileOffset: number | bigint }[]): number {
  let end = 0;
  for (const tensor of tensors) {
    const elements = tensor.dimensions.reduce<number>((acc, d) => acc * Number(d), 1);
    const bytes = elements * (ELEMENT_BYTES[tensor.ggmlType] ?? 0);
    end = Math.max(end, Number(tensor.fileOffset) + Math.max(1, bytes));
  }
  return end;
}

/** GgufFileType names without the ALL_/MOSTLY_ prefix: ALL_F32 → F32, MOSTLY_Q4_K_M → Q4_K_M. */
export function quantizationName(fileType: number | undefined, fileTypes: GgufFileReader["GgufFileType"]): string | undefined {
  if (fileType === undefined) return undefined;
  const name = (fileTypes as unknown as Record<number, string | undefined>)[fileType];
  return name?.replace(/^(ALL|MOSTLY)_/, "");
}

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === "bigint" ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** node-llama-cpp's supportsRanking test, on the header: a cls head plus a token to join query and document. */
function supportsRanking(info: GgufFileInfo): boolean {
  const head = (info.tensorInfo ?? []).some((t) => t.name === "cls.weight" || t.name === "cls.output.weight");
  const tokenizer = info.metadata.tokenizer as { ggml?: { seperator_token_id?: unknown; eos_token_id?: unknown; model?: unknown }; "chat_template.rerank"?: unknown } | undefined;
  const separator = tokenizer?.ggml?.seperator_token_id !== undefined || tokenizer?.ggml?.eos_token_id !== undefined || tokenizer?.ggml?.model === "bert" || typeof tokenizer?.["chat_template.rerank"] === "string";
  return head && separator;
}

/** Workloads from the header: attention.causal, pooling_type and the ranking head. */
function headerWorkloads(info: GgufFileInfo): Workload[] {
  return workloadsOf(headerFacts(info.architectureMetadata, supportsRanking(info)));
}

/**
 * Reads the GGUF header with node-llama-cpp's pure-JS parser, once the bounded parser has accepted it;
 * this never loads the native library, so a malformed file cannot abort the agent here (only an engine
 * child loads weights).
 */
export async function readGgufModelMetadata(path: string): Promise<GgufModelMetadata> {
  // Bounded check first: node-llama-cpp's reader trusts hostile counts (gguf-head-check.ts).
  await checkGgufHead(path);
  const { readGgufFileInfo, GgufFileType } = await ggufFileReader();
  const info = await readGgufFileInfo(path, { readTensorInfo: true, sourceType: "filesystem", logWarnings: false });
  // A header without general.* (a stub or a foreign file that happens to start with "GGUF") is no model:
  // say so, instead of the TypeError reading general.parameter_count gave ("Cannot read properties of undefined").
  const general = (info.metadata as { general?: typeof info.metadata.general }).general;
  if (general === undefined || general === null) throw new Error("the GGUF header has no general.* metadata: not a llama.cpp model file");
  let parameterCount = positiveInt((general as { parameter_count?: unknown }).parameter_count);
  if (parameterCount === undefined && info.tensorInfo !== undefined) {
    let total = 0;
    for (const tensor of info.tensorInfo) total += tensor.dimensions.reduce<number>((acc, d) => acc * Number(d), 1);
    parameterCount = total > 0 ? total : undefined;
  }
  const ggml = (info.metadata.tokenizer as { ggml?: Record<string, unknown> } | undefined)?.ggml;
  const metadata: GgufModelMetadata = { has_chat_template: typeof info.metadata.tokenizer?.chat_template === "string", fill_in_middle: fimTokensOf(ggml) !== undefined, workloads: headerWorkloads(info) };
  if (typeof general.name === "string" && general.name.trim() !== "") metadata.name = general.name.trim();
  if (typeof general.architecture === "string") metadata.architecture = general.architecture;
  const ctx = positiveInt((info.architectureMetadata as { context_length?: unknown }).context_length);
  if (ctx !== undefined) metadata.context_length = ctx;
  if (parameterCount !== undefined) metadata.parameter_count = parameterCount;
  const quantization = quantizationName(general.file_type, GgufFileType);
  if (quantization !== undefined) metadata.quantization = quantization;
  if (info.tensorInfo !== undefined && info.tensorInfo.length > 0) metadata.min_file_bytes = tensorDataEnd(info.tensorInfo);
  return metadata;
}

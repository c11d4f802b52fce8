import { ggufFileReader } from "../../catalog/gguf-file-reader.js";
import type { Vocabulary } from "../logit-bias-check.js";

/**
 * The vocabulary as the GGUF header lists it, for a model llama-server loads (this process has no
 * node-llama-cpp model to ask): its size and the end-of-generation ids the header names. An
 * unreadable header gives an unknown size, so a logit_bias is refused rather than sent unchecked.
 */
export async function ggufVocabulary(modelPath: string): Promise<Vocabulary> {
  try {
    const info = await (await ggufFileReader()).readGgufFileInfo(modelPath, { readTensorInfo: false, sourceType: "filesystem", logWarnings: false });
    const ggml = (info.metadata.tokenizer as { ggml?: Record<string, unknown> } | undefined)?.ggml;
    const tokens = ggml?.tokens;
    const endIds = new Set(["eos_token_id", "eot_token_id", "eom_token_id"].map((key) => ggml?.[key]).filter((id): id is number => typeof id === "number"));
    return { size: Array.isArray(tokens) ? tokens.length : undefined, isEndOfGeneration: (token) => endIds.has(token) };
  } catch {
    return { size: undefined, isEndOfGeneration: () => false };
  }
}

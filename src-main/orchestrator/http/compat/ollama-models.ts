import type { OllamaModelDetails } from "../../../../src-shared/ollama/ollama-models.js";
import { echoedModelId, type ResolvedModel } from "../../catalog/model-resolver.js";

/** "1.1B", "15M": Ollama's parameter_size. */
function parameterSize(count: number | undefined): string {
  if (count === undefined) return "";
  for (const [unit, size] of [["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) if (count >= size) return `${(count / size).toFixed(1)}${unit}`;
  return String(count);
}

export function ollamaDetails(m: ResolvedModel): OllamaModelDetails {
  const family = m.architecture ?? "";
  // An operator alias names its model as Ollama names the source of a copy.
  return { parent_model: m.alias !== undefined ? m.id : "", format: "gguf", family, families: family === "" ? [] : [family], parameter_size: parameterSize(m.parameter_count), quantization_level: m.quantization ?? "" };
}

/** One /api/tags entry (a model, or an operator alias of one); `modified_at` is when the orchestrator started (no node reports file times). */
export function ollamaModel(m: ResolvedModel, modifiedAt: string) {
  return { name: echoedModelId(m), model: echoedModelId(m), modified_at: modifiedAt, size: m.size_bytes, digest: m.sha256, details: ollamaDetails(m) };
}

/**
 * Ollama's capabilities for a model, by what this server honours for it: insert where it has
 * fill-in-the-middle tokens (the worker reads them from the GGUF header); completion and embedding where
 * the model serves them (a reranker serves neither; model-workloads.ts; an older worker that did not say
 * gets both); tools where it completes and has a chat template, through which the engine's chat wrapper
 * renders the functions and grammar-constrains the calls (Ollama's own rule is a template that mentions tools).
 */
export function ollamaCapabilities(m: ResolvedModel): string[] {
  const serves = (w: "completion" | "embedding"): boolean => m.workloads === undefined || m.workloads.includes(w);
  return [
    ...(serves("completion") ? ["completion"] : []),
    ...(serves("completion") && m.has_chat_template ? ["tools"] : []),
    // Ollama's "insert": /api/generate with a suffix (Continue's autocomplete asks for it by this capability).
    ...(serves("completion") && m.fill_in_middle === true ? ["insert"] : []),
    ...(serves("embedding") ? ["embedding"] : []),
  ];
}

/** /api/show: what the cluster knows of a model, with GGUF-style model_info keys. */
export function ollamaShow(m: ResolvedModel, modifiedAt: string) {
  const arch = m.architecture ?? "llama";
  const modelInfo: Record<string, string | number> = { "general.architecture": arch, "general.name": m.name };
  if (m.parameter_count !== undefined) modelInfo["general.parameter_count"] = m.parameter_count;
  if (m.context_length !== undefined) modelInfo[`${arch}.context_length`] = m.context_length;
  return { license: "", modelfile: "", parameters: "", template: "", details: ollamaDetails(m), model_info: modelInfo, capabilities: ollamaCapabilities(m), modified_at: modifiedAt };
}

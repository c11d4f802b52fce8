import type { ErrorCode } from "../../../../src-shared/errors/error-codes.js";

// Admission and the engines refuse in their own terms (`max_tokens`, the prompt, `format.schema`):
// they serve /v2, Anthropic and Ollama as well and name no OpenAI field. OpenAI's clients read the
// error's `param` (and its message) as the request field to fix, so each OpenAI endpoint maps a
// refusal back to the field it came from in that endpoint's request.

/** The fields of one OpenAI request that admission's and the engine's refusals are about. */
export interface OpenAiRefusalFields {
  /** The output limit the client set: max_tokens, max_completion_tokens or max_output_tokens (none on embeddings, rerank). */
  maxTokens?: string | undefined;
  /** Where the prompt came from: messages, prompt or input. */
  prompt: string;
  /** Where an output schema came from: the field (response_format, text.format) and the schema's path in it (none on completions). */
  format?: { param: string; schema: string } | undefined;
}

/** A refusal as an OpenAI client should see it: the field it is about and the message in its terms. */
export interface NamedRefusal {
  param: string | null;
  message: string;
}

/** How one OpenAI request names a refusal that came from admission or the engine. */
export type RefusalNamer = (code: ErrorCode, message: string) => NamedRefusal;

const OUTPUT_LIMIT = /^max_tokens (?=\d+ exceeds)/;

export function openAiRefusalNamer(fields: OpenAiRefusalFields): RefusalNamer {
  return (code, message) => {
    if (code === "CONTEXT_TOO_LONG") {
      const limit = fields.maxTokens;
      // The output limit alone is larger than the context (admission), or the prompt (with the limit) does not fit.
      if (limit !== undefined && OUTPUT_LIMIT.test(message)) return { param: limit, message: message.replace(OUTPUT_LIMIT, `${limit} `) };
      return { param: fields.prompt, message: limit === undefined ? message : message.replace(" plus max_tokens ", ` plus ${limit} `) };
    }
    // The model named is unknown, ambiguous, retired, held by no online node or too large for any pool.
    if (code === "MODEL_NOT_FOUND" || code === "MODEL_DEPRECATED" || code === "MODEL_NOT_AVAILABLE" || code === "MODEL_TOO_LARGE") return { param: "model", message };
    if (code !== "INVALID_PARAMS") return { param: null, message };
    if (/^model(:| ".*" is ambiguous)/.test(message)) return { param: "model", message };
    if (/^format\.schema\b/.test(message) && fields.format !== undefined) return { param: fields.format.param, message: message.replace(/^format\.schema/, fields.format.schema) };
    if (/^(logit_bias|tools)\b/.test(message)) return { param: (/^(logit_bias|tools)/.exec(message) as RegExpExecArray)[1] as string, message };
    if (/fill-in-the-middle tokens, so a suffix cannot be served/.test(message)) return { param: "suffix", message };
    // The model cannot do what the endpoint asks (a reranker asked to generate, a generative model asked to rank).
    if (/^model .* (serves .*, not |has no ranking head)/.test(message)) return { param: "model", message };
    return { param: null, message };
  };
}

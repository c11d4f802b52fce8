import type { ErrorCode } from "./error-codes.js";
import { errorEnvelope, type ErrorEnvelope, type ErrorEnvelopeExtra } from "./error-envelope.js";

/**
 * The one error domain code throws: a code from the error-code table plus its envelope extras.
 * It carries no HTTP status; the edges (HTTP error sender, SSE writer, OpenAI/Anthropic/Ollama
 * adapters) look the status, wire shape and retry policy up in the table.
 */
export class OrchError extends Error {
  readonly code: ErrorCode;
  readonly envelope: ErrorEnvelope;

  constructor(code: ErrorCode, message: string, extra: ErrorEnvelopeExtra = {}) {
    super(message);
    this.name = "OrchError";
    this.code = code;
    this.envelope = errorEnvelope(code, message, extra);
  }
}

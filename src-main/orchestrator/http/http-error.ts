import { ERROR_CODES, type ErrorCode } from "../../../src-shared/errors/error-codes.js";
import { errorEnvelope, type ErrorEnvelope, type ErrorEnvelopeExtra } from "../../../src-shared/errors/error-envelope.js";

/** An error that knows its HTTP status and envelope; thrown by handlers, rendered by the error middleware. */
export class HttpError extends Error {
  readonly status: number;
  readonly envelope: ErrorEnvelope;

  constructor(code: ErrorCode, message: string, extra: ErrorEnvelopeExtra = {}, status?: number) {
    super(message);
    this.status = status ?? ERROR_CODES[code].http_status;
    this.envelope = errorEnvelope(code, message, extra);
  }
}

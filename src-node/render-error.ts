import type { Response } from "express";
import type { ErrorStyle } from "../src-shared/contract/route-spec.js";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";
import { isDiskFull } from "../src-shared/errors/disk-full.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { sendError, sendOrchError } from "./error-sender.js";
import { BODY_LIMIT_BYTES } from "./request-body.js";
import type { ServerLogger } from "./request-logging.js";

/** The shape of the errors express's body parsers raise (http-errors). */
interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  /** zlib's, when a body does not decode as its Content-Encoding says (Z_DATA_ERROR, ERR__ERROR_FORMAT_PADDING_1, …). */
  code?: string;
}

/**
 * Turns whatever a route threw into HTTP: an OrchError by the error-code table, body-parser errors
 * into 413 / MALFORMED_JSON / INVALID_PARAMS, anything else into a logged 500.
 */
export function renderError(err: unknown, res: Response, style: ErrorStyle, logger: ServerLogger, serverName: string): void {
  if (err instanceof OrchError) {
    sendOrchError(res, err, style);
    return;
  }
  const e = (typeof err === "object" && err !== null ? err : {}) as BodyParserError;
  if (e.type === "entity.too.large") {
    sendError(res, 413, errorEnvelope("PAYLOAD_TOO_LARGE", `request body exceeds ${BODY_LIMIT_BYTES} bytes`), style);
    return;
  }
  if (e.type === "entity.parse.failed") {
    sendError(res, 400, errorEnvelope("MALFORMED_JSON", `request body is not valid JSON: ${e.message ?? ""}`), style);
    return;
  }
  if (e.type === "charset.unsupported" || e.type === "encoding.unsupported") {
    // The code a 415 has in the table: a charset other than UTF-8, or a Content-Encoding other than gzip, deflate, br.
    const what = e.type === "charset.unsupported" ? `${e.message ?? "unsupported charset"}: send UTF-8 (or no charset)` : `${e.message ?? "unsupported content encoding"}: send gzip, deflate, br or none`;
    sendError(res, 415, errorEnvelope("UNSUPPORTED_MEDIA_TYPE", what), style);
    return;
  }
  if (e.status === 400 && e.type === undefined && typeof e.code === "string" && /^Z_|ZLIB|BROTLI|^ERR__/.test(e.code)) {
    sendError(res, 400, errorEnvelope("MALFORMED_REQUEST", `the request body does not decode as its Content-Encoding says (${e.code}: ${e.message ?? ""})`), style);
    return;
  }
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    sendError(res, e.status, errorEnvelope("INVALID_PARAMS", e.message ?? "bad request"), style);
    return;
  }
  if (isDiskFull(err)) {
    logger.error({ err }, "request refused: the disk is full");
    sendError(res, 507, errorEnvelope("STORAGE_FULL", `the ${serverName} could not write its database: the disk is full; an operator must free space in its data directory`, { retry_after_ms: 5000 }), style);
    return;
  }
  if (clientWentAway(e, res)) {
    // The client hung up mid-request (a cut upload, a body cut by the deadline): an event of the
    // network, not a fault of the server; nobody reads an answer now.
    logger.warn({ err: e.message ?? String(err), code: e.code }, "client went away during the request");
    if (!res.headersSent && res.writable) sendError(res, 400, errorEnvelope("MALFORMED_REQUEST", "the request ended before its body did"), style);
    return;
  }
  logger.error({ err }, "unhandled error in request");
  sendError(res, 500, errorEnvelope("INTERNAL", `internal error; see the ${serverName} log`), style);
}

/** A request whose client left: its socket is gone, or reading its body failed as a hang-up does. */
function clientWentAway(e: BodyParserError, res: Response): boolean {
  const code = e.code ?? "";
  if (code === "ECONNRESET" || code === "ECONNABORTED" || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE") return true;
  return e.message === "aborted" && res.req.destroyed;
}

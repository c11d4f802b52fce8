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
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    sendError(res, e.status, errorEnvelope("INVALID_PARAMS", e.message ?? "bad request"), style);
    return;
  }
  if (isDiskFull(err)) {
    logger.error({ err }, "request refused: the disk is full");
    sendError(res, 507, errorEnvelope("STORAGE_FULL", `the ${serverName} could not write its database: the disk is full; an operator must free space in its data directory`, { retry_after_ms: 5000 }), style);
    return;
  }
  logger.error({ err }, "unhandled error in request");
  sendError(res, 500, errorEnvelope("INTERNAL", `internal error; see the ${serverName} log`), style);
}

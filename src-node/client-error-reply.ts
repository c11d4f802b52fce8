import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorCode } from "../src-shared/errors/error-codes.js";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";

interface ClientError extends Error {
  code?: string;
}

/** What a parser error means to the client: status, error code and message. */
function classify(err: ClientError): { status: number; code: ErrorCode; message: string } {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, code: "HEADERS_TOO_LARGE", message: "request headers are too large" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "REQUEST_TIMEOUT", message: "the request did not arrive in time" };
    default:
      return { status: 400, code: "MALFORMED_REQUEST", message: `the HTTP request could not be parsed (${err.code ?? "parse error"})` };
  }
}

/** The socket's response in progress, if Node already started one (then only closing is left). */
function responseStarted(socket: Duplex): boolean {
  const message = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return message?.headersSent === true;
}

/**
 * The server's `clientError` listener: Node's own parser errors (400, 408, 431) get the same error
 * envelope as every other answer, then the connection is closed. Resets and half-written responses
 * are just closed.
 */
export function replyToClientError(err: Error, socket: Duplex): void {
  const e = err as ClientError;
  if (e.code === "ECONNRESET" || !socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  const { status, code, message } = classify(e);
  const body = JSON.stringify(errorEnvelope(code, message));
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  // A client that never reads must not hold the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

import type { Request, RequestHandler } from "express";

/**
 * An error in the shape express's body parsers raise (http-errors: `type` + `status`), so
 * render-error.ts turns it into the same 413 / MALFORMED_JSON / 400 envelope either way.
 */
export class BodyReadError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** type-is's `hasBody`, which body-parser uses to decide whether there is a body to read at all. */
function hasBody(req: Request): boolean {
  return req.headers["transfer-encoding"] !== undefined || !Number.isNaN(Number(req.headers["content-length"]));
}

/** content-type's own grammar for the type and a charset parameter (it throws on anything else). */
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UTF8_CHARSET = /^; *charset *= *(?:utf-8|"utf-8") *$/i;

/**
 * Whether `readJsonBody` reads this request exactly as `express.json({ strict: false, type: () => true })`
 * does: no Content-Encoding (body-parser would inflate it), and a Content-Type that is absent or a
 * plain media type with at most `charset=utf-8` (body-parser decodes UTF-16, refuses other charsets
 * with its own 415, and fails on a header it cannot parse). Anything else goes through express.
 */
export function jsonBodyReadable(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding !== undefined) return false;
  if (contentType === undefined) return true;
  const semi = contentType.indexOf(";");
  if (semi < 0) return MEDIA_TYPE.test(contentType.trim());
  return MEDIA_TYPE.test(contentType.slice(0, semi).trim()) && UTF8_CHARSET.test(contentType.slice(semi));
}

/**
 * The hot routes' JSON body reader on the bare node:http request: what express.json() does for the
 * requests `jsonBodyReadable` admits (limit checked on the declared length first and on the bytes
 * received; a refused body is read to its end before the answer so the connection stays usable;
 * UTF-8 with a leading BOM dropped as iconv-lite does; an empty body is `{}`; no body leaves
 * `req.body` undefined), without raw-body, iconv-lite and the type/charset parsing per request.
 */
export function readJsonBody(limit: number): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const lengthHeader = req.headers["content-length"];
    const declared = lengthHeader === undefined ? null : Number.parseInt(lengthHeader, 10);
    let refusal: BodyReadError | null = declared !== null && declared > limit ? new BodyReadError(413, "entity.too.large", "request entity too large") : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (err: BodyReadError | null, body?: unknown): void => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      if (err !== null) {
        next(err);
        return;
      }
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer): void => {
      if (refusal !== null) return;
      received += chunk.length;
      if (received > limit) {
        refusal = new BodyReadError(413, "entity.too.large", "request entity too large");
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (refusal !== null) return finish(refusal);
      if (declared !== null && received !== declared) return finish(new BodyReadError(400, "request.size.invalid", "request size did not match content length"));
      let text = chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks, received).toString("utf8");
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return finish(null, {});
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        return finish(new BodyReadError(400, "entity.parse.failed", err instanceof Error ? err.message : String(err)));
      }
      finish(null, body);
    };
    // The client left before the end: nobody reads the answer, but the chain still ends (as raw-body's "request aborted").
    const onClose = (): void => finish(refusal ?? new BodyReadError(400, "request.aborted", "request aborted"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  };
}

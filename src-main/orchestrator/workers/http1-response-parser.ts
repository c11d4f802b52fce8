/** A response the parser cannot read: the connection is closed, never reused. */
export class HttpProtocolError extends Error {}

/** What the parser reports, in the order the bytes carry it. */
export interface ResponseParts {
  /** The status line and headers are complete (1xx interim responses are skipped). */
  head(status: number): void;
  /** Body bytes, de-chunked. */
  body(bytes: Buffer): void;
  /** The body is complete; bytes after it are a protocol error. */
  complete(): void;
}

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_LINE_BYTES = 1024;
const CRLF = Buffer.from("\r\n", "latin1");
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");

type State = "head" | "size" | "data" | "data-crlf" | "trailers" | "length" | "until-close" | "done";

/**
 * An HTTP/1.1 response reader for one response on a connection: status line, the headers that frame
 * the body (Transfer-Encoding, Content-Length, Connection), then the body as it arrives, chunked or
 * by length or until the connection closes. Input may be split anywhere. What it does not read it
 * refuses (HttpProtocolError) rather than guesses: a malformed chunk size, an oversized head,
 * conflicting lengths, bytes after the end.
 */
export class Http1ResponseParser {
  /** False when the connection must close after this response (Connection: close, HTTP/1.0, a body read until close). */
  keepAlive = true;
  private state: State = "head";
  private pending: Buffer | null = null;
  private remaining = 0;
  private stopped = false;

  constructor(private readonly parts: ResponseParts) {}

  get done(): boolean {
    return this.state === "done";
  }

  /** Stops reporting (the consumer went away). */
  stop(): void {
    this.stopped = true;
  }

  feed(input: Buffer): void {
    const buf = this.pending === null ? input : Buffer.concat([this.pending, input]);
    this.pending = null;
    let at = 0;
    while (at < buf.length && !this.stopped) {
      switch (this.state) {
        case "head": {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0) return this.keep(buf, at, MAX_HEAD_BYTES, "response head too large");
          const text = buf.toString("latin1", at, end);
          at = end + 4;
          this.readHead(text);
          break;
        }
        case "size": {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) return this.keep(buf, at, MAX_LINE_BYTES, "chunk size line too long");
          const line = buf.toString("latin1", at, eol);
          at = eol + 2;
          const semi = line.indexOf(";");
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new HttpProtocolError(`bad chunk size "${line.slice(0, 40)}"`);
          this.remaining = parseInt(hex, 16);
          this.state = this.remaining === 0 ? "trailers" : "data";
          break;
        }
        case "data":
        case "length": {
          const n = Math.min(this.remaining, buf.length - at);
          const bytes = buf.subarray(at, at + n);
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = this.state === "data" ? "data-crlf" : "done";
          if (n > 0) this.parts.body(bytes);
          if (this.state === "done" && !this.stopped) this.parts.complete();
          break;
        }
        case "data-crlf": {
          if (buf.length - at < 2) return this.keep(buf, at, 2, "");
          if (buf[at] !== 13 || buf[at + 1] !== 10) throw new HttpProtocolError("chunk not followed by CRLF");
          at += 2;
          this.state = "size";
          break;
        }
        case "trailers": {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) return this.keep(buf, at, MAX_HEAD_BYTES, "trailers too large");
          const empty = eol === at;
          at = eol + 2;
          if (empty) {
            this.state = "done";
            this.parts.complete();
          }
          break;
        }
        case "until-close":
          this.parts.body(buf.subarray(at));
          at = buf.length;
          break;
        case "done":
          throw new HttpProtocolError("bytes after the end of the response");
      }
    }
    if (at < buf.length && this.state === "done" && !this.stopped) throw new HttpProtocolError("bytes after the end of the response");
  }

  /** The connection ended. True if that completes the response (a body read until close). */
  eof(): boolean {
    if (this.state !== "until-close") return this.state === "done";
    this.state = "done";
    if (!this.stopped) this.parts.complete();
    return true;
  }

  private keep(buf: Buffer, at: number, limit: number, tooLarge: string): void {
    if (buf.length - at > limit) throw new HttpProtocolError(tooLarge);
    this.pending = buf.subarray(at);
  }

  private readHead(text: string): void {
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
    if (status === null) throw new HttpProtocolError(`bad status line "${(lines[0] ?? "").slice(0, 40)}"`);
    const code = Number(status[2]);
    if (code >= 100 && code < 200) return; // an interim response: the real one follows
    let chunked = false;
    let length: number | null = null;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new HttpProtocolError(`bad header line "${line.slice(0, 40)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "transfer-encoding") chunked = value.toLowerCase().split(",").map((s) => s.trim()).at(-1) === "chunked";
      else if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value) || (length !== null && length !== Number(value))) throw new HttpProtocolError(`bad Content-Length "${value.slice(0, 20)}"`);
        length = Number(value);
      } else if (name === "connection") connection = value.toLowerCase();
    }
    const http10 = status[1] === "0";
    if (connection.includes("close") || (http10 && !connection.includes("keep-alive"))) this.keepAlive = false;
    this.parts.head(code);
    if (this.stopped) return;
    if (code === 204 || code === 304) this.state = "done";
    else if (chunked) this.state = "size";
    else if (length !== null) {
      this.remaining = length;
      this.state = length === 0 ? "done" : "length";
    } else {
      this.state = "until-close";
      this.keepAlive = false;
    }
    if (this.state === "done") this.parts.complete();
  }
}

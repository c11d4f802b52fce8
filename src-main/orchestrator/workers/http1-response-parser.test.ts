import { describe, expect, it } from "vitest";
import { Http1ResponseParser, HttpProtocolError } from "./http1-response-parser.js";

// The worker stream's response reader: the same result however the bytes are split, and a refusal
// (never a guess) for what it does not read.

function parse(pieces: Buffer[]): { status: number | null; body: string; complete: boolean; keepAlive: boolean } {
  const out = { status: null as number | null, body: "", complete: false, keepAlive: true };
  const bodies: Buffer[] = [];
  const parser = new Http1ResponseParser({
    head: (status) => void (out.status = status),
    body: (bytes) => void bodies.push(Buffer.from(bytes)),
    complete: () => void (out.complete = true),
  });
  for (const piece of pieces) parser.feed(piece);
  out.body = Buffer.concat(bodies).toString("utf8");
  out.keepAlive = parser.keepAlive;
  return out;
}

/** Every split of `bytes` into two pieces, and the one-byte-at-a-time split. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}

const SSE = "event: token\ndata: {\"t\":\"é✓\",\"i\":0}\n\n";
const CHUNKED = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n` +
    `${Buffer.byteLength(SSE).toString(16)}\r\n${SSE}\r\n5;ext=1\r\nhello\r\n0\r\n\r\n`,
);

describe("Http1ResponseParser", () => {
  it("reads a chunked response the same way however its bytes are split (multi-byte characters across pieces too)", () => {
    for (const pieces of splits(CHUNKED)) {
      expect(parse(pieces)).toEqual({ status: 200, body: `${SSE}hello`, complete: true, keepAlive: true });
    }
  });

  it("reads a Content-Length body, and says a Connection: close response must not be reused", () => {
    const bytes = Buffer.from('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"code":"BUSY"}\r\n');
    for (const pieces of splits(bytes)) expect(parse(pieces)).toEqual({ status: 429, body: '{"code":"BUSY"}\r\n', complete: true, keepAlive: false });
  });

  it("skips an interim 1xx response, and completes an empty body at once", () => {
    expect(parse([Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")])).toEqual({ status: 204, body: "", complete: true, keepAlive: true });
    expect(parse([Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")])).toMatchObject({ status: 200, complete: true });
  });

  it("reads a body without length until the connection ends (never reused)", () => {
    const parser = new Http1ResponseParser({ head: () => undefined, body: () => undefined, complete: () => undefined });
    parser.feed(Buffer.from("HTTP/1.0 200 OK\r\n\r\npartial"));
    expect(parser.done).toBe(false);
    expect(parser.eof()).toBe(true);
    expect(parser.keepAlive).toBe(false);
    const chunked = new Http1ResponseParser({ head: () => undefined, body: () => undefined, complete: () => undefined });
    chunked.feed(CHUNKED.subarray(0, CHUNKED.length - 5));
    expect(chunked.eof()).toBe(false); // cut short
  });

  it("refuses what it cannot read: a bad status line or chunk size, conflicting lengths, bytes after the end, an endless head", () => {
    const bad = [
      "HTTP/2 200\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
      `HTTP/1.1 200 OK\r\nX: ${"a".repeat(20_000)}`,
    ];
    for (const text of bad) expect(() => parse([Buffer.from(text)]), text.slice(0, 60)).toThrow(HttpProtocolError);
  });

  it("stops reporting once stopped (the reader went away)", () => {
    const seen: string[] = [];
    const parser = new Http1ResponseParser({
      head: () => {
        seen.push("head");
        parser.stop();
      },
      body: () => void seen.push("body"),
      complete: () => void seen.push("complete"),
    });
    parser.feed(CHUNKED);
    expect(seen).toEqual(["head"]);
  });
});

import type { z } from "zod";
import { SSE_DATA_SCHEMAS, isSseEventName, type SseEvent } from "./sse-events.js";

// Server-Sent Events framing (WHATWG HTML §9.2) reduced to what task streams use: `event`, `data`,
// `id` (the orchestrator's task streams, for Last-Event-ID resumption) and comments. The parser
// ignores `id`/`retry`: resumption is the browser's or client's business.

/** The longest SSE line a parser accepts by default (a dashboard snapshot frame at fleet scale fits). */
export const DEFAULT_MAX_SSE_LINE_CHARS = 32 * 1024 * 1024;

/** A peer sent a line longer than the parser accepts. */
export class SseLineTooLongError extends Error {
  constructor(readonly maxLineChars: number) {
    super(`an event-stream line is longer than ${maxLineChars} characters`);
  }
}

/** One frame as it came off the wire; `data` is the raw (possibly multi-line) payload. */
export interface SseFrame {
  event: string;
  data: string;
}

/** Serialises one event: `[id: <id>\n]event: <name>\ndata: <json>\n\n`. JSON never contains a raw newline. */
export function encodeSseEvent(ev: SseEvent, id?: string): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`;
}

/** A comment frame; clients ignore it, proxies see traffic (keep-alive). */
export function encodeSseComment(text = "keep-alive"): string {
  return `: ${text}\n\n`;
}

/**
 * Incremental SSE parser. Feed it text chunks as they arrive (any split, including inside a
 * `\r\n` pair); it returns the frames completed by that chunk. Decoding bytes to text is the
 * caller's job (a streaming TextDecoder), which keeps this module free of runtime APIs.
 * A line longer than `maxLineChars` is an error (a peer that never ends its line would otherwise grow
 * the buffer without bound), and each chunk is scanned once: a long line arriving in many chunks costs
 * its length, not its length times the number of chunks.
 */
export class SseParser {
  constructor(private readonly maxLineChars = DEFAULT_MAX_SSE_LINE_CHARS) {}

  private buffer = "";
  /** True when the previous chunk ended in `\r`, so a leading `\n` belongs to that line break. */
  private pendingCr = false;
  private eventName = "";
  private dataLines: string[] = [];
  private sawData = false;

  feed(chunk: string): SseFrame[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    // What the buffer held has no line break in it (the loop below keeps only a line's unfinished tail).
    const resume = this.buffer.length;
    this.buffer += text;

    const frames: SseFrame[] = [];
    let start = 0;
    for (let i = resume; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue; // \n, \r
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const frame = this.processLine(line);
      if (frame) frames.push(frame);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLineChars) {
      this.buffer = "";
      throw new SseLineTooLongError(this.maxLineChars);
    }
    return frames;
  }

  /** Call at end of input: a frame without its blank line is dropped, as the standard requires. */
  end(): SseFrame[] {
    this.buffer = "";
    this.pendingCr = false;
    this.resetFrame();
    return [];
  }

  private processLine(line: string): SseFrame | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") {
      this.dataLines.push(value);
      this.sawData = true;
    }
    return undefined;
  }

  private dispatch(): SseFrame | undefined {
    if (!this.sawData) {
      this.resetFrame();
      return undefined;
    }
    const frame: SseFrame = { event: this.eventName === "" ? "message" : this.eventName, data: this.dataLines.join("\n") };
    this.resetFrame();
    return frame;
  }

  private resetFrame(): void {
    this.eventName = "";
    this.dataLines = [];
    this.sawData = false;
  }
}

export type ParseSseEventResult =
  | { ok: true; event: SseEvent }
  | { ok: false; reason: "unknown_event" | "invalid_json" | "invalid_data"; message: string; issues?: z.core.$ZodIssue[] };

/** Validates a raw frame against the task-stream schemas. Never throws. */
export function parseSseEvent(frame: SseFrame): ParseSseEventResult {
  const name = frame.event;
  if (!isSseEventName(name)) return { ok: false, reason: "unknown_event", message: `unknown SSE event "${name}"` };
  let json: unknown;
  try {
    json = JSON.parse(frame.data);
  } catch (err) {
    return { ok: false, reason: "invalid_json", message: `event "${name}": ${err instanceof Error ? err.message : String(err)}` };
  }
  // The hot path of every proxied stream: a plain token ({t, i}, nothing else) is checked by hand,
  // exactly as its schema would; anything richer (logprobs, tool calls, extra fields) goes to zod.
  if (name === "token" && isPlainToken(json)) return { ok: true, event: { event: "token", data: json } };
  const parsed = SSE_DATA_SCHEMAS[name].safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: "invalid_data", message: `event "${name}": ${parsed.error.message}`, issues: parsed.error.issues };
  }
  // The per-name schema guarantees the pairing the union type expresses.
  return { ok: true, event: { event: name, data: parsed.data } as SseEvent };
}

/** `{ t: string, i: non-negative integer }` with no other key: what SseTokenDataSchema accepts unchanged. */
function isPlainToken(json: unknown): json is { t: string; i: number } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  let keys = 0;
  for (const key in json) {
    if (key !== "t" && key !== "i") return false;
    keys++;
  }
  const { t, i } = json as { t?: unknown; i?: unknown };
  return keys === 2 && typeof t === "string" && typeof i === "number" && Number.isSafeInteger(i) && i >= 0;
}

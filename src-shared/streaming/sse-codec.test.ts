import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseLineTooLongError, SseParser, encodeSseComment, encodeSseEvent, parseSseEvent, type SseFrame } from "./sse-codec.js";
import { SseTokenDataSchema, type SseEvent } from "./sse-events.js";

const SAMPLE_EVENTS: SseEvent[] = [
  { event: "started", data: { queue_position: 2, predicted_start_ms: 200, pool_id: "a-gpu0" } },
  { event: "token", data: { t: "Hi", i: 0 } },
  { event: "token", data: { t: " \"quoted\"\nline ünï 🚀", i: 1 } },
  { event: "metrics", data: { queue_depth: 2, on_time_probability: 0.97, kv_warmth: true } },
  { event: "end", data: { tokens_out: 2, decode_ms: 1800, decode_time_ms: 1800, stop_reason: "eos" } },
];

function parseAll(chunks: string[]): SseFrame[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

function decode(frames: SseFrame[]): SseEvent[] {
  return frames.map((frame) => {
    const result = parseSseEvent(frame);
    if (!result.ok) throw new Error(result.message);
    return result.event;
  });
}

describe("encodeSseEvent", () => {
  it("writes event, one data line and a blank line", () => {
    expect(encodeSseEvent({ event: "token", data: { t: "Hi", i: 0 } })).toBe('event: token\ndata: {"t":"Hi","i":0}\n\n');
    // A newline inside token text is escaped by JSON, so a frame never spans extra data lines.
    expect(encodeSseEvent({ event: "token", data: { t: "a\nb", i: 1 } }).split("\n")).toHaveLength(4);
    expect(encodeSseComment()).toBe(": keep-alive\n\n");
  });
});

describe("SseParser", () => {
  const stream = SAMPLE_EVENTS.map((ev, n) => (n === 2 ? encodeSseComment() : "") + encodeSseEvent(ev)).join("");

  it("round-trips the sample stream in one chunk", () => {
    expect(decode(parseAll([stream]))).toEqual(SAMPLE_EVENTS);
  });

  it("yields the same events for a split at every position", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decode(parseAll([stream.slice(0, cut), stream.slice(cut)])), `cut at ${cut}`).toEqual(SAMPLE_EVENTS);
    }
  });

  it("yields the same events for a split at every UTF-8 byte position", () => {
    // Bytes decoded incrementally the way a transport does: TextDecoder with stream: true.
    const bytes = new TextEncoder().encode(stream);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new TextDecoder();
      const chunks = [decoder.decode(bytes.slice(0, cut), { stream: true }), decoder.decode(bytes.slice(cut))];
      expect(decode(parseAll(chunks)), `byte cut at ${cut}`).toEqual(SAMPLE_EVENTS);
    }
  });

  it("handles one-character chunks with CRLF line endings, split inside each CRLF", () => {
    const crlf = stream.replaceAll("\n", "\r\n");
    expect(decode(parseAll([...crlf]))).toEqual(SAMPLE_EVENTS);
    for (let cut = 0; cut <= crlf.length; cut++) {
      expect(decode(parseAll([crlf.slice(0, cut), crlf.slice(cut)])), `crlf cut at ${cut}`).toEqual(SAMPLE_EVENTS);
    }
  });

  it("accepts bare CR line endings", () => {
    expect(decode(parseAll([stream.replaceAll("\n", "\r")]))).toEqual(SAMPLE_EVENTS);
  });

  it("joins multi-line data with newlines and tolerates a missing space after the colon", () => {
    expect(parseAll(["event:token\ndata:{\"t\":\ndata: \"x\",\"i\":0}\n\n"])).toEqual([{ event: "token", data: '{"t":\n"x","i":0}' }]);
  });

  it("skips comments, frames without data and unknown fields; defaults the event name", () => {
    expect(parseAll([": ping\n\nid: 7\nretry: 10\n\nevent: token\n\ndata: hello\n\n"])).toEqual([{ event: "message", data: "hello" }]);
  });

  it("keeps an incomplete frame until its blank line arrives and drops it at end()", () => {
    const parser = new SseParser();
    expect(parser.feed('event: token\ndata: {"t":"a","i":0}\n')).toEqual([]);
    expect(parser.feed("\n")).toEqual([{ event: "token", data: '{"t":"a","i":0}' }]);
    expect(parser.feed("event: end\ndata: {}\n")).toEqual([]);
    expect(parser.end()).toEqual([]);
    expect(parser.feed("\n")).toEqual([]);
  });

  it("refuses a line longer than its bound, whatever the chunking, and parses one at the bound", () => {
    const parser = new SseParser(1000);
    const within = `data: ${"x".repeat(994)}`;
    expect(within.length).toBe(1000);
    let frames: SseFrame[] = [];
    for (let at = 0; at < within.length; at += 7) frames = frames.concat(parser.feed(within.slice(at, at + 7)));
    expect([...frames, ...parser.feed("\n\n")]).toEqual([{ event: "message", data: "x".repeat(994) }]);
    const endless = new SseParser(1000);
    expect(() => {
      for (let i = 0; i < 200; i++) endless.feed("data: xxxxxxxxxxxx");
    }).toThrow(SseLineTooLongError);
  });
});

describe("parseSseEvent", () => {
  it("rejects unknown events, bad JSON and schema violations without throwing", () => {
    expect(parseSseEvent({ event: "narration", data: "{}" })).toMatchObject({ ok: false, reason: "unknown_event" });
    expect(parseSseEvent({ event: "token", data: "{not json" })).toMatchObject({ ok: false, reason: "invalid_json" });
    const bad = parseSseEvent({ event: "token", data: '{"t":"x","i":-1}' });
    expect(bad).toMatchObject({ ok: false, reason: "invalid_data" });
    if (!bad.ok) expect(bad.issues?.[0]?.path).toEqual(["i"]);
  });

  it("decides every token frame as the token schema does (the hand-checked fast path for plain tokens included)", () => {
    const value = fc.oneof(fc.string(), fc.integer({ min: -3, max: 1_000_000 }), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant(Number.MAX_SAFE_INTEGER + 2));
    const tokenish = fc.oneof(
      fc.record({ t: value, i: value }),
      fc.record({ t: fc.string(), i: fc.nat() }),
      fc.record({ t: fc.string(), i: fc.nat(), extra: value }, { requiredKeys: ["t", "i"] }),
      fc.record({ t: value }),
      fc.dictionary(fc.constantFrom("t", "i", "__proto__", "x"), value),
      value,
    );
    fc.assert(
      fc.property(tokenish, (json) => {
        const data = JSON.stringify(json) ?? "null";
        const got = parseSseEvent({ event: "token", data });
        const want = SseTokenDataSchema.safeParse(JSON.parse(data));
        expect(got.ok).toBe(want.success);
        if (got.ok && want.success) expect(got.event).toEqual({ event: "token", data: want.data });
      }),
      { numRuns: 2000 },
    );
  });
});

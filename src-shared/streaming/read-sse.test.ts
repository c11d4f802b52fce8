import { describe, expect, it } from "vitest";
import { encodeSseComment, encodeSseEvent } from "./sse-codec.js";
import type { SseEvent } from "./sse-events.js";
import { readSseEvents, readSseFrames, SseProtocolError } from "./read-sse.js";

/** A body delivering `bytes` in pieces of `size` bytes; records whether the reader cancelled it. */
function chunkedBody(bytes: Uint8Array, size: number): { body: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let offset = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

const events: SseEvent[] = [
  { event: "started", data: { queue_position: 0, predicted_start_ms: 0 } },
  { event: "token", data: { t: "héllo ✓", i: 0 } },
  { event: "end", data: { tokens_out: 1, decode_ms: 1, decode_time_ms: 1 } },
];
const wire = new TextEncoder().encode(encodeSseComment() + events.map((e) => encodeSseEvent(e)).join(""));

describe("readSseEvents", () => {
  it("yields validated events from any chunking, multi-byte characters split included", async () => {
    for (const size of [1, 2, 3, 7, wire.length]) {
      const seen: SseEvent[] = [];
      for await (const ev of readSseEvents(chunkedBody(wire, size).body)) seen.push(ev);
      expect(seen, `chunks of ${size}`).toEqual(events);
    }
  });

  it("throws SseProtocolError on a frame that is not a task event", async () => {
    const bad = new TextEncoder().encode('event: token\ndata: {"t":1}\n\n');
    const read = async () => {
      for await (const _ of readSseEvents(chunkedBody(bad, 5).body)) void _;
    };
    await expect(read()).rejects.toBeInstanceOf(SseProtocolError);
  });

  it("cancels the body when the consumer stops early", async () => {
    const source = chunkedBody(wire, 4);
    for await (const ev of readSseEvents(source.body)) if (ev.event === "started") break;
    expect(source.cancelled()).toBe(true);
  });
});

describe("readSseFrames", () => {
  it("yields raw frames of any event name and reports every chunk", async () => {
    const text = new TextEncoder().encode(': hi\n\nevent: snapshot\ndata: {"a":1}\n\ndata: [DONE]\n\n');
    let chunks = 0;
    const frames = [];
    for await (const frame of readSseFrames(chunkedBody(text, 10).body, { onChunk: () => chunks++ })) frames.push(frame);
    expect(frames).toEqual([
      { event: "snapshot", data: '{"a":1}' },
      { event: "message", data: "[DONE]" },
    ]);
    expect(chunks).toBe(Math.ceil(text.length / 10));
  });
});

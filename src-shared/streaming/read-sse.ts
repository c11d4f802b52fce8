import { parseSseEvent, SseParser, type SseFrame } from "./sse-codec.js";
import type { SseEvent } from "./sse-events.js";

// Reads Server-Sent Events from a fetch Response body in any runtime (Node, browser, Electron):
// web streams and TextDecoder only.

/** The part of a web ReadableStream<Uint8Array> (fetch's Response.body) this reader uses. */
export interface SseByteStream {
  getReader(): {
    read(): Promise<{ done: true; value?: Uint8Array } | { done: false; value: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

// src-shared compiles without DOM or Node typings; TextDecoder is a global in every runtime we target.
const TextDecoderImpl = (globalThis as unknown as { TextDecoder: new () => Utf8Decoder }).TextDecoder;

export interface ReadSseOptions {
  /** Called for every chunk received, comments included (stall detection). */
  onChunk?: () => void;
}

/**
 * Yields the frames of an SSE body as they complete. Stopping early (break, return, throw in the
 * consumer) cancels the body, which closes the connection.
 */
export async function* readSseFrames(body: SseByteStream, options: ReadSseOptions = {}): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoderImpl();
  const parser = new SseParser();
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      options.onChunk?.();
      yield* parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A frame that is not a valid task-stream event (unknown name, bad JSON, schema mismatch). */
export class SseProtocolError extends Error {
  override readonly name = "SseProtocolError";
}

/**
 * Yields the task-stream events of an SSE body, each validated with the contract's schemas
 * (started → (token | metrics)* → end | error). Throws SseProtocolError on the first invalid frame.
 */
export async function* readSseEvents(body: SseByteStream, options: ReadSseOptions = {}): AsyncGenerator<SseEvent> {
  for await (const frame of readSseFrames(body, options)) {
    const parsed = parseSseEvent(frame);
    if (!parsed.ok) throw new SseProtocolError(parsed.message);
    yield parsed.event;
  }
}

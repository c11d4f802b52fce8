import type { Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { BandwidthThrottle } from "./bandwidth-throttle.js";

export class TooManyBytesError extends Error {}

/**
 * Sits between the socket and the file in a pull's pipeline: every chunk goes into the sha256 on
 * its way to disk (no second read of the file to verify it), is counted, and is held back by the
 * bandwidth throttle (reading stops meanwhile, so TCP back-pressure slows the source). The chunk
 * itself is passed on as it is: no copy.
 */
export class HashingTap extends Transform {
  private seen = 0;

  constructor(
    private readonly hash: Hash,
    /** Most bytes this response may carry. */
    private readonly maxBytes: number,
    private readonly throttle: BandwidthThrottle,
    private readonly signal: AbortSignal,
    private readonly onBytes: (n: number) => void,
    /** Buffer on each side (see bufferBytes()). */
    highWaterMark = 1 << 20,
  ) {
    super({ readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      callback(new TooManyBytesError(`the source sent more than the ${this.maxBytes} bytes asked for`));
      return;
    }
    this.hash.update(chunk);
    this.onBytes(chunk.length);
    this.push(chunk);
    if (!this.throttle.limited) callback();
    else this.throttle.consumed(chunk.length, this.signal).then(() => callback(), callback);
  }
}

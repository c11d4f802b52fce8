/**
 * Finds stop strings in text that arrives in pieces: releases what cannot be the start of one, holds
 * back what could (a stop string split across tokens), and ends at the first match, whose text and
 * everything after it are never released (as llama-server and OpenAI leave the stop string out).
 */
export class StopScanner {
  private held = "";
  private ended = false;

  constructor(private readonly stops: readonly string[]) {}

  /** The text that may be released now, and whether a stop string ended the output. */
  push(text: string): { release: string; stopped: boolean } {
    if (this.ended) return { release: "", stopped: true };
    const buffer = this.held + text;
    let at = -1;
    for (const stop of this.stops) {
      const index = buffer.indexOf(stop);
      if (index >= 0 && (at < 0 || index < at)) at = index;
    }
    if (at >= 0) {
      this.ended = true;
      this.held = "";
      return { release: buffer.slice(0, at), stopped: true };
    }
    const keep = this.partialMatchLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { release: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** What was held back, when the output ends without a stop string. */
  flush(): string {
    const rest = this.ended ? "" : this.held;
    this.held = "";
    return rest;
  }

  /** The longest end of `buffer` that is the start of a stop string. */
  private partialMatchLength(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}

/**
 * Finds stop strings in text that arrives in pieces: releases what cannot be the start of one, holds
 * back what could (a stop string split across tokens), and ends at the first match, whose text and
 * everything after it are never released (as llama-server and OpenAI leave the stop string out).
 * Each stop string is followed with a KMP automaton, so a long stop string (a request may send one of
 * 100,000 characters) costs time linear in the text, not its length times the text's.
 */
export class StopScanner {
  private held = "";
  private ended = false;
  /** The stop string that ended the output (Anthropic's stop_sequence names it). */
  matched_stop: string | undefined;
  /** Per stop string: the length of its longest start that the text so far ends with. */
  private readonly matched: number[];
  /** Per stop string: KMP's failure function (longest proper start that is also an end, per length). */
  private readonly failure: number[][];

  constructor(private readonly stops: readonly string[]) {
    this.matched = stops.map(() => 0);
    this.failure = stops.map(failureFunction);
  }

  /** The text that may be released now, and whether a stop string ended the output. */
  push(text: string): { release: string; stopped: boolean } {
    if (this.ended) return { release: "", stopped: true };
    const buffer = this.held + text;
    // UTF-16 units, like the failure functions: a stop string starts at a character, so a match does too.
    for (let i = this.held.length; i < buffer.length; i++) {
      const unit = buffer[i];
      for (let s = 0; s < this.stops.length; s++) {
        const stop = this.stops[s] as string;
        const failure = this.failure[s] as number[];
        let state = this.matched[s] as number;
        while (state > 0 && stop[state] !== unit) state = failure[state - 1] as number;
        if (stop[state] === unit) state++;
        this.matched[s] = state;
        if (state === stop.length) {
          this.ended = true;
          this.matched_stop = stop;
          this.held = "";
          return { release: buffer.slice(0, i + 1 - stop.length), stopped: true };
        }
      }
    }
    const keep = Math.max(0, ...this.matched);
    this.held = buffer.slice(buffer.length - keep);
    return { release: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** What was held back, when the output ends without a stop string. */
  flush(): string {
    const rest = this.ended ? "" : this.held;
    this.held = "";
    return rest;
  }
}

/** failure[i]: the length of the longest proper start of stop[0..i] that is also its end (in UTF-16 units). */
function failureFunction(stop: string): number[] {
  const failure = new Array<number>(stop.length).fill(0);
  let k = 0;
  for (let i = 1; i < stop.length; i++) {
    while (k > 0 && stop[i] !== stop[k]) k = failure[k - 1] as number;
    if (stop[i] === stop[k]) k++;
    failure[i] = k;
  }
  return failure;
}

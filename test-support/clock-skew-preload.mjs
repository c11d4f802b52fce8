// Preloaded into a child process (`NODE_OPTIONS=--import=<this file>`) to step its wall clock the way
// an NTP step or an operator's `date -s` does, without touching the machine's clock: Date.now() and
// `new Date()` read the real clock plus an offset (ms) that the test writes to the file named by
// LLORCH_TEST_CLOCK_SKEW_FILE (read every 50 ms). The monotonic clock (performance.now(), timers)
// is not affected, as it is not by a real step.
import { readFileSync } from "node:fs";

const file = process.env.LLORCH_TEST_CLOCK_SKEW_FILE;
if (file !== undefined && file !== "") {
  let offset = 0;
  const read = () => {
    try {
      const value = Number(readFileSync(file, "utf8").trim());
      if (Number.isFinite(value)) offset = value;
    } catch {
      // no file yet: no skew
    }
  };
  read();
  setInterval(read, 50).unref();
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset);
      else super(...args);
    }
    static now() {
      return realNow() + offset;
    }
  }
  globalThis.Date = SkewedDate;
}

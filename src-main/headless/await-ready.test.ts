import { describe, expect, it } from "vitest";
import { awaitReady } from "./await-ready.js";

/** A fake clock: sleeping advances it, so the test is independent of wall time. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => ((t += ms), Promise.resolve()) };
}

describe("awaitReady", () => {
  it("waits through not-ready answers, reporting at once, on a change of reason and every progressEveryMs, then says ready", async () => {
    const answers = ["no worker node is online yet", ...Array<string>(30).fill("1 pool(s) registered, none ready yet (loading or draining)"), null];
    let i = 0;
    const reports: [string, number][] = [];
    const outcome = await awaitReady({ notReadyReason: () => answers[i++] ?? null, timeoutMs: 60_000, intervalMs: 250, progressEveryMs: 5000, onProgress: (reason, ms) => reports.push([reason, ms]), ...clock() });
    expect(outcome).toEqual({ ready: true, elapsedMs: 31 * 250 });
    expect(reports).toEqual([
      ["no worker node is online yet", 0],
      ["1 pool(s) registered, none ready yet (loading or draining)", 250],
      ["1 pool(s) registered, none ready yet (loading or draining)", 5250],
    ]);
  });

  it("gives up at the bound with the last reason", async () => {
    const outcome = await awaitReady({ notReadyReason: () => "no worker node is online yet", timeoutMs: 1000, intervalMs: 300, onProgress: () => {}, ...clock() });
    expect(outcome).toEqual({ ready: false, reason: "no worker node is online yet", elapsedMs: 1000 });
  });

  it("with a bound of 0 asks once", async () => {
    let asked = 0;
    const outcome = await awaitReady({ notReadyReason: () => (asked++, "x"), timeoutMs: 0, onProgress: () => {}, ...clock() });
    expect(outcome).toMatchObject({ ready: false, reason: "x" });
    expect(asked).toBe(1);
  });
});

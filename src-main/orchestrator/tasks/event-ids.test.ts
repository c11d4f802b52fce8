import { describe, expect, it } from "vitest";
import { BOOT_ID, eventId, resumeIndex } from "./event-ids.js";

describe("task stream event ids", () => {
  it("resumes after the id a client had, this boot's", () => {
    expect(eventId(7)).toBe(`${BOOT_ID}.7`);
    expect(resumeIndex(eventId(7))).toEqual({ from: 8, skipStarted: false });
    expect(resumeIndex(` ${eventId(0)} `)).toEqual({ from: 1, skipStarted: false });
  });

  it("an index past any stream (up to a safe integer) is after its end, not garbage that replays it all", () => {
    expect(resumeIndex(`${BOOT_ID}.9999999999`)).toEqual({ from: 10_000_000_000, skipStarted: false });
    expect(resumeIndex(`${BOOT_ID}.999999999999999`).from).toBe(1_000_000_000_000_000);
  });

  it("a revived task's stream keeps the boot its ids had: a resume with them skips what the client had, after any restart", () => {
    const earlier = BOOT_ID === "0badc0de" ? "1badc0de" : "0badc0de";
    expect(eventId(4, earlier)).toBe(`${earlier}.4`);
    expect(resumeIndex(`${earlier}.4`, earlier)).toEqual({ from: 5, skipStarted: false });
    expect(resumeIndex(`${BOOT_ID}.4`, earlier)).toEqual({ from: 0, skipStarted: true });
  });

  it("an id from another boot starts over without the second started; garbage starts over", () => {
    const other = BOOT_ID === "00000000" ? "11111111" : "00000000";
    expect(resumeIndex(`${other}.5`)).toEqual({ from: 0, skipStarted: true });
    for (const garbage of ["", "x", `${BOOT_ID}.-1`, `${BOOT_ID}.1.2`, `${BOOT_ID}.${"9".repeat(16)}`]) expect(resumeIndex(garbage)).toEqual({ from: 0, skipStarted: false });
  });
});

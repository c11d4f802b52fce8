import { describe, expect, it } from "vitest";
import { singleFlight } from "./single-flight.js";

describe("singleFlight", () => {
  it("drops a second start while the first runs (a double click), and runs again once it ended", async () => {
    const states: boolean[] = [];
    const flight = singleFlight((busy) => states.push(busy));
    let calls = 0;
    let release: () => void = () => undefined;
    const action = () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    };
    const first = flight(action);
    expect(await flight(action)).toBe(false);
    expect(calls).toBe(1);
    release();
    expect(await first).toBe(true);
    expect(states).toEqual([true, false]);
    const again = flight(action);
    release();
    expect(await again).toBe(true);
    expect(calls).toBe(2);
  });

  it("a failed action frees the flight", async () => {
    const flight = singleFlight();
    await expect(flight(() => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(await flight(() => Promise.resolve())).toBe(true);
  });
});

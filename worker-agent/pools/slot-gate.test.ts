import { describe, expect, it } from "vitest";
import { SlotGate } from "./slot-gate.js";

const never = new AbortController().signal;

describe("slot gate", () => {
  it("grants N slots at once and queues the rest in FIFO order", async () => {
    const gate = new SlotGate(2, 10);
    const a = await gate.acquire(never, 10_000);
    const b = await gate.acquire(never, 10_000);
    expect(a.ok && b.ok).toBe(true);
    expect(gate.free).toBe(0);
    const order: string[] = [];
    const c = gate.acquire(never, 10_000).then((r) => (order.push("c"), r));
    const d = gate.acquire(never, 10_000).then((r) => (order.push("d"), r));
    expect(gate.waiting).toBe(2);
    if (a.ok) a.lease.release();
    if (a.ok) a.lease.release(); // idempotent
    const cr = await c;
    expect(order).toEqual(["c"]);
    expect(gate.busy).toBe(2);
    if (b.ok) b.lease.release();
    await d;
    expect(order).toEqual(["c", "d"]);
    if (cr.ok) cr.lease.release();
  });

  it("refuses beyond the queue limit, times out, and lets an abort leave the queue without a slot", async () => {
    const gate = new SlotGate(1, 1);
    const held = await gate.acquire(never, 1000);
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal, 60_000);
    expect(await gate.acquire(never, 1000)).toEqual({ ok: false, reason: "queue_full" });
    controller.abort();
    expect(await waiting).toEqual({ ok: false, reason: "aborted" });
    expect(gate.waiting).toBe(0);
    expect(await gate.acquire(never, 5)).toEqual({ ok: false, reason: "timeout" });
    gate.failWaiters("closed", "x");
    const pending = gate.acquire(never, 60_000);
    gate.failWaiters("closed", "engine crashed");
    expect(await pending).toEqual({ ok: false, reason: "closed", detail: "engine crashed" });
    if (held.ok) held.lease.release();
    expect(gate.free).toBe(1);
  });
});

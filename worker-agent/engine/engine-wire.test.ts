import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EngineToParentMessageSchema, EngineTokenBatchMessageSchema } from "./engine-ipc.js";
import { isPlainTokenMessage, parseEngineWire } from "./engine-wire.js";

// What the parent accepted before the hand check: the schemas alone.
const WireSchema = z.union([EngineToParentMessageSchema, EngineTokenBatchMessageSchema]);

function viaZod(raw: unknown): { ok: boolean; messages?: unknown[] } {
  const parsed = WireSchema.safeParse(raw);
  if (!parsed.success) return { ok: false };
  return { ok: true, messages: parsed.data.type === "tokens" ? parsed.data.tokens : [parsed.data] };
}

// Arbitrary IPC values, seen as JSON (the channel's serialization) so that objects match what arrives.
const value = fc.oneof(fc.string(), fc.integer({ min: -3, max: 1_000_000 }), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant(Number.MAX_SAFE_INTEGER + 2));
const tokenish = fc.oneof(
  fc.record({ type: fc.constant("token"), task_id: fc.string(), t: fc.string(), i: fc.nat() }),
  fc.record({ type: fc.constantFrom("token", "tokens", "done"), task_id: value, t: value, i: value }),
  fc.record({ type: fc.constant("token"), task_id: fc.string(), t: fc.string(), i: fc.nat(), extra: value }, { requiredKeys: ["type", "task_id", "t", "i"] }),
  fc.record({ type: fc.constant("token"), task_id: fc.string(), t: fc.string(), i: fc.nat(), logprobs: fc.constant([{ token: "a", logprob: -0.5, top_logprobs: [] }]) }),
  fc.dictionary(fc.constantFrom("type", "task_id", "t", "i", "__proto__", "x"), value),
  value,
);
const wire = fc.oneof(
  tokenish,
  fc.record({ type: fc.constant("tokens"), tokens: fc.array(tokenish, { maxLength: 4 }) }),
  fc.record({ type: fc.constant("tokens"), tokens: fc.array(tokenish, { maxLength: 3 }), extra: value }, { requiredKeys: ["type", "tokens"] }),
  fc.record({ type: value, tokens: value }),
);

describe("parseEngineWire", () => {
  it("decides every message exactly as the schemas do (the hand-checked token fast path included)", () => {
    let fastPaths = 0;
    fc.assert(
      fc.property(wire, (generated) => {
        const raw: unknown = JSON.parse(JSON.stringify(generated) ?? "null");
        if (isPlainTokenMessage(raw)) fastPaths++;
        const got = parseEngineWire(raw);
        const want = viaZod(raw);
        expect(got.ok).toBe(want.ok);
        if (got.ok) expect(got.messages).toEqual(want.messages);
      }),
      { numRuns: 3000 },
    );
    // The property must exercise the fast path, not only zod's.
    expect(fastPaths).toBeGreaterThan(100);
  });

  it("unpacks a batch into its token messages in order, and rejects an empty batch", () => {
    const tokens = [
      { type: "token", task_id: "a", t: "x", i: 0 },
      { type: "token", task_id: "b", t: "y", i: 0 },
      { type: "token", task_id: "a", t: "z", i: 1 },
    ];
    expect(parseEngineWire({ type: "tokens", tokens })).toEqual({ ok: true, messages: tokens });
    expect(parseEngineWire({ type: "tokens", tokens: [] }).ok).toBe(false);
    expect(parseEngineWire({ type: "token", task_id: "a", t: "x", i: -1 }).ok).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { chooseSource, type SourceCandidate } from "./source-choice.js";

const node = (node_id: string, over: Partial<SourceCandidate> = {}): SourceCandidate => ({ node_id, online: true, drained: false, holds: true, busy_slots: 0, outgoing: 0, ...over });
const choose = (candidates: SourceCandidate[], over: { preferred?: string[]; failed?: string[]; target?: string } = {}) =>
  chooseSource({ candidates, target_node_id: over.target ?? "t", preferred: over.preferred ?? [], failed: over.failed ?? [] });

describe("chooseSource", () => {
  it("never picks the target, a node without the model, an offline or a drained node", () => {
    expect(choose([node("t"), node("a", { holds: false }), node("b", { online: false }), node("c", { drained: true })])).toBeNull();
    expect(choose([node("t"), node("a", { holds: false }), node("d")])).toBe("d");
  });

  it("spreads targets over holders (fewest transfers served first), then prefers idle nodes", () => {
    expect(choose([node("a", { outgoing: 1 }), node("b", { outgoing: 0, busy_slots: 3 })])).toBe("b");
    expect(choose([node("a", { busy_slots: 2 }), node("b", { busy_slots: 1 })])).toBe("b");
    expect(choose([node("b"), node("a")])).toBe("a");
  });

  it("avoids sources that failed this job while another exists, then retries the oldest failure", () => {
    expect(choose([node("a"), node("b")], { failed: ["a"] })).toBe("b");
    expect(choose([node("a"), node("b")], { failed: ["b", "a"] })).toBe("b");
  });

  it("keeps to the operator's sources, in their order", () => {
    expect(choose([node("a"), node("b"), node("c")], { preferred: ["c", "b"] })).toBe("c");
    expect(choose([node("a"), node("b"), node("c", { online: false })], { preferred: ["c", "b"] })).toBe("b");
    expect(choose([node("a"), node("b", { drained: true })], { preferred: ["b"] })).toBeNull();
  });
});

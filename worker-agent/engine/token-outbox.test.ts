import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../test-support/wait-for.js";
import type { EngineWireMessage } from "./engine-ipc.js";
import { TokenOutbox } from "./token-outbox.js";

const token = (taskId: string, i: number) => ({ type: "token" as const, task_id: taskId, t: `${taskId}${i}`, i });

function outbox(minIntervalMs?: number): { box: TokenOutbox; written: EngineWireMessage[]; log: string[] } {
  const written: EngineWireMessage[] = [];
  const log: string[] = [];
  const box = new TokenOutbox((message) => {
    written.push(message);
    log.push(`write ${message.type}`);
  }, minIntervalMs);
  return { box, written, log };
}

describe("TokenOutbox", () => {
  it("writes the tokens of one turn as one message, after the decode dispatched in that turn", async () => {
    const { box, written, log } = outbox();
    box.send(token("a", 0));
    box.send(token("b", 0));
    box.schedule(() => log.push("dispatch"));
    expect(written).toEqual([]);
    await nextTurn();
    expect(log).toEqual(["dispatch", "write tokens"]);
    expect(written).toEqual([{ type: "tokens", tokens: [token("a", 0), token("b", 0)] }]);
    // The fallback of that batch finds nothing left to send.
    await nextTurn();
    await nextTurn();
    expect(written).toHaveLength(1);
  });

  it("sends a lone token as a plain message within one event-loop turn when no decode follows", async () => {
    const { box, written } = outbox();
    box.send(token("a", 0));
    await nextTurn();
    await nextTurn();
    expect(written).toEqual([token("a", 0)]);
  });

  it("writes queued tokens before any other message, so a task's done never overtakes its tokens", () => {
    const { box, written } = outbox();
    box.send(token("a", 0));
    box.send(token("a", 1));
    box.send({ type: "done", task_id: "a", tokens_out: 2, tokens_in: 3, decode_ms: 1, stop_reason: "eos" });
    expect(written.map((m) => m.type)).toEqual(["tokens", "done"]);
    expect(written[0]).toEqual({ type: "tokens", tokens: [token("a", 0), token("a", 1)] });
  });

  it("keeps a later batch's tokens for the dispatch of its own turn (an earlier batch's fallback does not send them early)", async () => {
    const { box, written, log } = outbox();
    box.send(token("a", 0));
    box.schedule(() => log.push("dispatch 1"));
    await nextTurn(); // dispatch 1, then a0 written
    box.send(token("a", 1)); // the next step's token, in the following turn
    box.schedule(() => log.push("dispatch 2"));
    await nextTurn();
    expect(log).toEqual(["dispatch 1", "write token", "dispatch 2", "write token"]);
    expect(written).toEqual([token("a", 0), token("a", 1)]);
  });

  describe("with a minimum interval between writes", () => {
    // An hour: the interval cannot end during the test, so what is held stays held until something flushes it.
    const LONG = 3_600_000;

    it("writes a token after a quiet spell at once, in its own turn, as without an interval", async () => {
      const { box, written, log } = outbox(LONG);
      box.send(token("a", 0));
      box.schedule(() => log.push("dispatch"));
      await nextTurn();
      expect(log).toEqual(["dispatch", "write token"]);
      expect(written).toEqual([token("a", 0)]);
    });

    it("holds the tokens that follow a write within the interval, and a task's end still writes them first, in order", async () => {
      const { box, written, log } = outbox(LONG);
      box.send(token("a", 0));
      box.schedule(() => log.push("dispatch 1"));
      await nextTurn();
      box.send(token("a", 1));
      box.schedule(() => log.push("dispatch 2"));
      await nextTurn();
      box.send(token("a", 2)); // a last token: no dispatch follows, only the fallback
      await nextTurn();
      await nextTurn();
      expect(log).toEqual(["dispatch 1", "write token", "dispatch 2"]);
      box.send({ type: "done", task_id: "a", tokens_out: 3, tokens_in: 3, decode_ms: 1, stop_reason: "eos" });
      expect(written).toEqual([token("a", 0), { type: "tokens", tokens: [token("a", 1), token("a", 2)] }, { type: "done", task_id: "a", tokens_out: 3, tokens_in: 3, decode_ms: 1, stop_reason: "eos" }]);
    });

    it("writes a step of several streams at once, held tokens of a lone stream before them", async () => {
      const { box, written, log } = outbox(LONG);
      box.send(token("a", 0));
      box.schedule(() => log.push("dispatch 1"));
      await nextTurn();
      box.send(token("a", 1)); // held: a lone stream within the interval
      box.schedule(() => log.push("dispatch 2"));
      await nextTurn();
      box.send(token("a", 2));
      box.send(token("b", 0)); // b joined: this step has two streams
      box.schedule(() => log.push("dispatch 3"));
      await nextTurn();
      expect(log).toEqual(["dispatch 1", "write token", "dispatch 2", "dispatch 3", "write tokens"]);
      expect(written).toEqual([token("a", 0), { type: "tokens", tokens: [token("a", 1), token("a", 2), token("b", 0)] }]);
    });

    it("writes held tokens as one message when the interval ends, with no other message to flush them", async () => {
      const { box, written } = outbox(30);
      box.send(token("a", 0));
      box.schedule(() => undefined);
      await nextTurn();
      box.send(token("a", 1));
      box.schedule(() => undefined);
      await nextTurn();
      box.send(token("b", 0));
      box.schedule(() => undefined);
      await waitFor("the held tokens", () => written.length === 2, 5_000, 5);
      expect(written).toEqual([token("a", 0), { type: "tokens", tokens: [token("a", 1), token("b", 0)] }]);
    });
  });
});

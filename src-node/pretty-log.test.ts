import { describe, expect, it } from "vitest";
import { chooseLogFormat, formatLogLine } from "./pretty-log.js";

describe("readable log lines", () => {
  it("formats pino's JSON (numeric or named levels) as one line: time, level, source, message, fields", () => {
    const line = JSON.stringify({ level: 30, time: "2025-10-01T09:00:10.123Z", component: "orchestrator", pid: 1, msg: "node n1: online", node_id: "n1", pools: ["a b"] });
    expect(formatLogLine(line, false)).toBe('09:00:10.123 INFO  orchestrator  node n1: online  node_id=n1 pools=["a b"]');
    expect(formatLogLine(JSON.stringify({ level: "warn", time: "2025-10-01T09:00:10.123Z", service: "llama-orch-worker", msg: "slow", note: "two words" }), false)).toBe('09:00:10.123 WARN  llama-orch-worker  slow  note="two words"');
  });

  it("colours the level on a terminal and passes non-JSON lines through", () => {
    expect(formatLogLine(JSON.stringify({ level: 50, time: 0, msg: "boom" }), true)).toContain("\x1b[31mERROR");
    expect(formatLogLine("plain text", true)).toBe("plain text");
  });

  it("is pretty on a terminal, JSON when piped, and --log-format wins", () => {
    expect(chooseLogFormat(undefined, true)).toBe("pretty");
    expect(chooseLogFormat(undefined, false)).toBe("json");
    expect(chooseLogFormat("json", true)).toBe("json");
    expect(chooseLogFormat("pretty", false)).toBe("pretty");
    expect(() => chooseLogFormat("xml", true)).toThrow(/json or pretty/);
  });
});

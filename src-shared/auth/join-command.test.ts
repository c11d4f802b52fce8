import { describe, expect, it } from "vitest";
import { formatJoin, parseJoin } from "./join-command.js";

const TOKEN = `llj_${"ab".repeat(32)}`;
const FP = `sha256:${"0f".repeat(32)}`;

describe("join strings", () => {
  it("round-trip with and without a CA fingerprint", () => {
    expect(parseJoin(formatJoin("https://orch:8443", TOKEN, FP))).toEqual({ ok: true, join: { orchestratorUrl: "https://orch:8443", joinToken: TOKEN, caFingerprint: FP } });
    expect(parseJoin(formatJoin("http://[::1]:8080", TOKEN, null))).toEqual({ ok: true, join: { orchestratorUrl: "http://[::1]:8080", joinToken: TOKEN, caFingerprint: undefined } });
    expect(parseJoin(`http://10.0.0.1:8080/#${TOKEN}`)).toMatchObject({ ok: true, join: { orchestratorUrl: "http://10.0.0.1:8080" } });
  });

  it("refuses what would not pin or not join, without echoing the token", () => {
    const bad = [`https://orch:8443#${TOKEN}`, `ftp://orch#${TOKEN}`, `https://orch/path#${TOKEN}@${FP}`, "https://orch#llo_x@" + FP, `https://orch#${TOKEN}@sha256:12`, `https://orch#${TOKEN}@${FP}@${FP}`, TOKEN];
    for (const text of bad) {
      const r = parseJoin(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error).not.toContain(TOKEN.slice(4));
    }
  });
});

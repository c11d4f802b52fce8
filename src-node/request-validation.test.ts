import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { MAX_LISTED_ISSUES, parsePart } from "./request-validation.js";

const Pools = z.object({ pools: z.array(z.object({ pool_id: z.string(), ready: z.boolean() })) });

function refusal(value: unknown): OrchError {
  try {
    parsePart(Pools, value, "body");
  } catch (err) {
    if (err instanceof OrchError) return err;
    throw err;
  }
  throw new Error("accepted");
}

describe("parsePart's error envelope", () => {
  it("lists every issue of a body with a few", () => {
    const err = refusal({ pools: [{}] });
    expect(err.message).toBe("body.pools.0.pool_id: Field required (expected string)");
    expect((err.envelope.details as { issues: unknown[] }).issues).toHaveLength(2);
  });

  // A 1 KB body of 200 empty pools has 400 issues here (~2,000 against the heartbeat schema): listed in
  // full, each such request was answered with tens of KB (the fleet-under-load adversary's garbage heartbeats).
  it("lists at most MAX_LISTED_ISSUES and says how many more there were", () => {
    const err = refusal({ pools: Array.from({ length: 200 }, () => ({})) });
    const issues = (err.envelope.details as { issues: { path: unknown[]; message: string }[] }).issues;
    expect(issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(issues[0]).toEqual({ path: ["pools", 0, "pool_id"], message: "Field required (expected string)" });
    expect(issues[MAX_LISTED_ISSUES]).toEqual({ path: [], message: `and ${400 - MAX_LISTED_ISSUES} more issues (not listed)` });
    expect(err.message).toBe("body.pools.0.pool_id: Field required (expected string)");
  });
});

import { describe, expect, it } from "vitest";
import { CreateModelAliasRequestSchema, MAX_ALIAS_NAME_LENGTH, aliasNameProblem, normalizeAliasName } from "./model-alias.js";

const HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("alias names", () => {
  it("accepts the names clients hard-code", () => {
    for (const name of ["gpt-4o-mini", "claude-3-5-sonnet-latest", "llama3", "llama3:8b", "team_chat.v2", "qwen2.5-coder:7b-instruct+q4"]) expect(aliasNameProblem(name)).toBeNull();
  });

  it("refuses empty, over-long, path-like, non-ASCII and reference-like names, each with a reason", () => {
    const refused: [string, string][] = [
      ["", "empty"],
      ["a".repeat(MAX_ALIAS_NAME_LENGTH + 1), "longer than"],
      ["../etc/passwd", "may contain only"],
      ["a..b", "'..'"],
      ["dir/name", "may contain only"],
      ["back\\slash", "may contain only"],
      ["llama@abcdef012345", "may contain only"],
      ["with space", "may contain only"],
      ["\u202Egpt-4", "may contain only"],
      ["gpt-4\u200B", "may contain only"],
      ["модель", "may contain only"],
      [".hidden", "may contain only"],
      [`sha256:${HEX}`, "reference"],
      [HEX, "sha256 digest"],
      [HEX.toUpperCase(), "sha256 digest"],
      ["file:x", "reference"],
      ["hf:org", "reference"],
      ["SHA256:abc", "reference"],
      ["Sha256:" + HEX, "reference"],
    ];
    for (const [name, reason] of refused) expect(aliasNameProblem(name), name).toContain(reason);
  });

  it("stores name:latest as name (Ollama's default tag), and not ':latest' alone", () => {
    expect(normalizeAliasName("llama3:latest")).toBe("llama3");
    expect(normalizeAliasName("  llama3  ")).toBe("llama3");
    expect(normalizeAliasName(":latest")).toBe(":latest");
    expect(aliasNameProblem(normalizeAliasName(":latest"))).not.toBeNull();
    // Twice: it was stored as x:latest, listed so, and no delete by that name found it.
    expect(aliasNameProblem(normalizeAliasName("x:latest:latest"))).toMatch(/must not end in :latest:latest/);
  });

  it("parses a create request: name normalized, unknown fields and a 10 KB name refused", () => {
    expect(CreateModelAliasRequestSchema.parse({ name: "fast:latest", target: `sha256:${HEX}` })).toEqual({ name: "fast", target: `sha256:${HEX}` });
    expect(CreateModelAliasRequestSchema.safeParse({ name: "fast", target: "x", extra: 1 }).success).toBe(false);
    expect(CreateModelAliasRequestSchema.safeParse({ name: "a".repeat(10_240), target: "x" }).success).toBe(false);
    expect(CreateModelAliasRequestSchema.safeParse({ name: "fast", target: "" }).success).toBe(false);
  });
});

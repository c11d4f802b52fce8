import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { ModelInventoryEntrySchema } from "./model-inventory.js";
import { ModelRefStringSchema, formatModelRef, parseModelRef } from "./model-ref.js";
import { Sha256HexSchema } from "./sha256.js";

const HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("parseModelRef", () => {
  it("parses sha256 refs, with or without prefix, in any letter case, to the lowercase digest", () => {
    expect(parseModelRef(`sha256:${HEX}`)).toEqual({ ok: true, ref: { kind: "sha256", sha256: HEX } });
    expect(parseModelRef(`sha256:${HEX.toUpperCase()}`)).toEqual({ ok: true, ref: { kind: "sha256", sha256: HEX } });
    expect(parseModelRef(`SHA256:${HEX.toUpperCase()}`)).toEqual({ ok: true, ref: { kind: "sha256", sha256: HEX } });
    expect(parseModelRef(HEX)).toEqual({ ok: true, ref: { kind: "sha256", sha256: HEX } });
    expect(parseModelRef(HEX.toUpperCase())).toEqual({ ok: true, ref: { kind: "sha256", sha256: HEX } });
    expect(parseModelRef("sha256:abc").ok).toBe(false);
  });

  it("parses the spec's hf: and file: references", () => {
    expect(parseModelRef("hf:TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_K_M.gguf")).toEqual({
      ok: true,
      ref: { kind: "hf", org: "TheBloke", repo: "Llama-2-7B-GGUF", path: "llama-2-7b.Q4_K_M.gguf" },
    });
    expect(parseModelRef("hf:org/repo")).toEqual({ ok: true, ref: { kind: "hf", org: "org", repo: "repo" } });
    expect(parseModelRef("hf:org/repo/sub/dir/m.gguf")).toMatchObject({ ok: true, ref: { path: "sub/dir/m.gguf" } });
    expect(parseModelRef("file:/home/u/.cache/models/file.gguf")).toEqual({ ok: true, ref: { kind: "file", path: "/home/u/.cache/models/file.gguf" } });
  });

  it("parses friendly names as listed by /v1/models", () => {
    for (const name of ["qwen2.5-7b", "tinyllama-1.1b", "llama-orch-tiny", "Qwen2.5 7B Instruct", "model:q4"]) {
      expect(parseModelRef(name), name).toEqual({ ok: true, ref: { kind: "name", name } });
    }
  });

  it("rejects path traversal, relative files, URLs and control characters", () => {
    for (const bad of [
      "", "   ", "file:relative.gguf", "file:/models/../etc/passwd", "file:/a/..", "file:/a\\b", "hf:org/../x", "hf:org/repo/../../x",
      "hf:org", "hf:/repo", "hf:org/repo//x", "../model.gguf", "./m.gguf", "a/b", ".hidden", "https://example.com/m.gguf",
      "s3://bucket/m.gguf", "name\u0000", "x".repeat(1025),
    ]) {
      expect(parseModelRef(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it("formats refs back to their canonical strings", () => {
    for (const s of [`sha256:${HEX}`, "hf:org/repo", "hf:org/repo/m.gguf", "file:/m/a.gguf", "tiny"]) {
      const parsed = parseModelRef(s);
      expect(parsed.ok && formatModelRef(parsed.ref)).toBe(s);
    }
  });

  it("ModelRefStringSchema reports invalid refs", () => {
    expect(ModelRefStringSchema.safeParse("tiny").success).toBe(true);
    expect(rejectedPaths(ModelRefStringSchema, "file:/../x")).toEqual([[]]);
  });
});

describe("Sha256Hex and ModelInventoryEntry", () => {
  it("accept lowercase 64-hex only", () => {
    expect(Sha256HexSchema.safeParse(HEX).success).toBe(true);
    expect(Sha256HexSchema.safeParse(HEX.toUpperCase()).success).toBe(false);
    expect(Sha256HexSchema.safeParse(HEX.slice(1)).success).toBe(false);
  });

  it("validates an inventory entry", () => {
    const entry = { sha256: HEX, name: "tiny", file_name: "tiny.gguf", size_bytes: 1234, architecture: "llama", context_length: 256, has_chat_template: true };
    expect(ModelInventoryEntrySchema.safeParse(entry).success).toBe(true);
    expect(rejectedPaths(ModelInventoryEntrySchema, { ...entry, sha256: "qwen2.5-7b" })).toEqual([["sha256"]]);
    expect(rejectedPaths(ModelInventoryEntrySchema, { ...entry, size_bytes: -1 })).toEqual([["size_bytes"]]);
    const { has_chat_template: _omit, ...withoutTemplate } = entry;
    expect(rejectedPaths(ModelInventoryEntrySchema, withoutTemplate)).toEqual([["has_chat_template"]]);
  });
});

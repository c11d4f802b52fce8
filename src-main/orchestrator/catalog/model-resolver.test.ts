import { describe, expect, it } from "vitest";
import { listClusterModels, resolveModel, type ResolvedModel } from "./model-resolver.js";

const entry = (sha: string, name: string, file: string) => ({ sha256: sha, name, file_name: file, size_bytes: 100, has_chat_template: false });
const A = "a".repeat(12) + "0".repeat(52);
const B = "b".repeat(12) + "0".repeat(52);

const model = (name: string, sha: string): ResolvedModel => ({ id: name, sha256: sha.repeat(64), name, file_name: `${name}.gguf`, size_bytes: 1, has_chat_template: true });

describe("resolveModel", () => {
  it("accepts name@<sha prefix> for a model that is served under its plain name (the catalog may list the alias)", () => {
    // Only A is served: /v1/models lists "llama"; the catalog, which also counts B in the store, lists "llama@aaaaaaaaaaaa".
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf")]);
    expect(served.map((m) => m.id)).toEqual(["llama"]);
    // Before: MODEL_NOT_FOUND ("no node reports a model").
    expect(resolveModel(`llama@${A.slice(0, 12)}`, served)).toMatchObject({ ok: true, model: { sha256: A } });
    expect(resolveModel(`llama@${A}`, served)).toMatchObject({ ok: true, model: { sha256: A } });
    // Another name, another digest, or a prefix shorter than the alias rule's: not this model.
    expect(resolveModel(`other@${A.slice(0, 12)}`, served)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
    expect(resolveModel(`llama@${B.slice(0, 12)}`, served)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
    expect(resolveModel(`llama@${A.slice(0, 6)}`, served)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
  });

  it("still resolves the aliases /v1/models lists when two served models share a name, and refuses the bare name as ambiguous", () => {
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf"), entry(B, "llama", "llama.Q8.gguf")]);
    expect(served.map((m) => m.id)).toEqual([`llama@${A.slice(0, 12)}`, `llama@${B.slice(0, 12)}`]);
    expect(resolveModel(`llama@${B.slice(0, 12)}`, served)).toMatchObject({ ok: true, model: { sha256: B } });
    expect(resolveModel("llama", served)).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
  });

  it("takes Ollama's default tag on any surface: <name>:latest is <name> unless a model is named so", () => {
    const models = [model("qwen", "a"), model("llama:latest", "b")];
    expect(resolveModel("qwen:latest", models)).toMatchObject({ ok: true, model: { name: "qwen" } });
    expect(resolveModel("llama:latest", models)).toMatchObject({ ok: true, model: { name: "llama:latest" } });
    expect(resolveModel("nope:latest", models)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND", message: expect.stringContaining('"nope:latest"') });
    // Only the default tag: another tag names another model, which no node reports.
    expect(resolveModel("qwen:7b", models)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
  });
});

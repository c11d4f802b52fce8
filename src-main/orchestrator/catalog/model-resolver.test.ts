import { describe, expect, it } from "vitest";
import { echoedModelId, listClusterModels, resolveModel, withAliasEntries, type ResolvedModel } from "./model-resolver.js";

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

  it("resolves an operator alias to its target, remembering the alias the answer echoes; ':latest' too", () => {
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf")]);
    const aliases = new Map([["gpt-4o-mini", A]]);
    const via = resolveModel("gpt-4o-mini", served, aliases);
    expect(via).toMatchObject({ ok: true, model: { sha256: A, id: "llama", alias: "gpt-4o-mini" } });
    expect(via.ok && echoedModelId(via.model)).toBe("gpt-4o-mini");
    expect(resolveModel("gpt-4o-mini:latest", served, aliases)).toMatchObject({ ok: true, model: { sha256: A, alias: "gpt-4o-mini" } });
    // The model's own name still resolves to it, without the alias.
    const direct = resolveModel("llama", served, aliases);
    expect(direct.ok && echoedModelId(direct.model)).toBe("llama");
    // Without the table (a caller that forgot it) the alias is unknown: the table is what makes it work.
    expect(resolveModel("gpt-4o-mini", served)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
  });

  it("says which alias and which sha256 when an alias's model is served by no node", () => {
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf")]);
    const result = resolveModel("team-chat", served, new Map([["team-chat", B]]));
    expect(result).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
    expect(!result.ok && result.message).toContain(`"team-chat" is an alias of sha256:${B}`);
  });

  it("lists a model whose name an alias already has as name@<sha prefix>, so listed ids stay unique; the alias wins the name", () => {
    const aliases = new Map([["llama", B]]);
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf"), entry(B, "qwen", "qwen.gguf")], aliases);
    expect(served.map((m) => m.id)).toEqual([`llama@${A.slice(0, 12)}`, "qwen"]);
    expect(resolveModel("llama", served, aliases)).toMatchObject({ ok: true, model: { sha256: B, alias: "llama" } });
    expect(resolveModel(`llama@${A.slice(0, 12)}`, served, aliases)).toMatchObject({ ok: true, model: { sha256: A } });
    const listed = withAliasEntries(served, aliases).map(echoedModelId);
    expect(listed).toEqual(["llama", `llama@${A.slice(0, 12)}`, "qwen"]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("lists no entry for an alias whose model no node serves", () => {
    const served = listClusterModels([entry(A, "llama", "llama.Q4.gguf")]);
    expect(withAliasEntries(served, new Map([["gone", B], ["fast", A]])).map(echoedModelId)).toEqual(["fast", "llama"]);
  });
});

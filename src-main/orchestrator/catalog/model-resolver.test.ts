import { describe, expect, it } from "vitest";
import { resolveModel, type ResolvedModel } from "./model-resolver.js";

const model = (name: string, sha: string): ResolvedModel => ({ id: name, sha256: sha.repeat(64), name, file_name: `${name}.gguf`, size_bytes: 1, has_chat_template: true });

describe("resolveModel", () => {
  it("takes Ollama's default tag on any surface: <name>:latest is <name> unless a model is named so", () => {
    const models = [model("qwen", "a"), model("llama:latest", "b")];
    expect(resolveModel("qwen:latest", models)).toMatchObject({ ok: true, model: { name: "qwen" } });
    expect(resolveModel("llama:latest", models)).toMatchObject({ ok: true, model: { name: "llama:latest" } });
    expect(resolveModel("nope:latest", models)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND", message: expect.stringContaining('"nope:latest"') });
    // Only the default tag: another tag names another model, which no node reports.
    expect(resolveModel("qwen:7b", models)).toMatchObject({ ok: false, code: "MODEL_NOT_FOUND" });
  });
});

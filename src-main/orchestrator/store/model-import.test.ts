import { describe, expect, it } from "vitest";
import { UploadModelQuerySchema } from "../../../src-shared/catalog/store-model.js";
import { storeFileName } from "./model-import.js";

describe("file names given for the store", () => {
  it("accepts what browsers and people name files, refuses paths and control characters", () => {
    const ok = (name: string) => UploadModelQuerySchema.safeParse({ file_name: name }).success;
    // Before: all of these were 400 "must be a plain *.gguf file name" (the dashboard uploads with the file's own name).
    for (const name of ["Meta-Llama-3-8B.Q4_K_M (1).gguf", "my model.gguf", "模型.gguf", "Model.GGUF"]) expect(ok(name), name).toBe(true);
    for (const name of ["../x.gguf", "/etc/x.gguf", "a\\b.gguf", "a\u0000.gguf", "a\nb.gguf", "x.txt", ".gguf", `${"x".repeat(251)}.gguf`]) expect(ok(name), JSON.stringify(name)).toBe(false);
  });

  it("makes a plain name of it, never a path", () => {
    expect(storeFileName("Meta-Llama-3-8B.Q4_K_M (1).gguf")).toBe("Meta-Llama-3-8B.Q4_K_M--1-.gguf");
    expect(storeFileName("Model.GGUF")).toBe("Model.gguf");
    expect(storeFileName("模型.gguf")).toBe("model.gguf");
    expect(storeFileName("/srv/models/llama.Q8_0.gguf")).toBe("llama.Q8_0.gguf");
    expect(storeFileName("/resolve/main/sha256-abc")).toBe("sha256-abc.gguf");
    expect(storeFileName("..gguf")).toBe("model.gguf");
    expect(storeFileName(`${"a".repeat(300)}.gguf`)).toBe(`${"a".repeat(200)}.gguf`);
  });
});

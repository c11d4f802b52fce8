import { SAFE_ID_PATTERN } from "../../src-shared/common/ids.js";

/** A pool id from a model file name: "Qwen2.5 7B.Q4_K_M.gguf" → "Qwen2.5-7B.Q4_K_M"; unique among `taken`. */
export function autoPoolId(fileName: string, taken: (id: string) => boolean): string {
  let base = fileName
    .replace(/\.gguf$/i, "")
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 120);
  if (!SAFE_ID_PATTERN.test(base)) base = "model";
  if (!taken(base)) return base;
  for (let n = 2; n < 10_000; n++) {
    const id = `${base}-${n}`;
    if (!taken(id)) return id;
  }
  throw new Error(`no free pool id for ${fileName}`);
}

/**
 * The model id rule, the one place it lives (workers, orchestrator and dashboard all use it):
 * 1. a model's name is its GGUF `general.name`, else its file name without `.gguf`;
 * 2. its id is that name, unless different models (different sha256) share it: then each of them
 *    gets `name@<first 12 hex of its sha256>`. Several files with one sha256 are one model.
 * `sha256:<hex>` always works as well.
 */
export type ModelIdBase = "gguf_name" | "file_name";

export interface ModelIdRule {
  id: string;
  /** Where the name part came from. */
  base: ModelIdBase;
  /** The `@<sha prefix>` suffix was added because another model (or an operator alias) has the same name. */
  alias: boolean;
}

export const ALIAS_SHA_PREFIX = 12;

/** Step 1: the name of one file (general.name when it has a non-blank one). */
export function modelBaseName(ggufName: string | null | undefined, fileName: string): { name: string; base: ModelIdBase } {
  const trimmed = ggufName?.trim() ?? "";
  return trimmed !== "" ? { name: trimmed, base: "gguf_name" } : { name: fileName.replace(/\.gguf$/i, ""), base: "file_name" };
}

/**
 * Step 2 over every model of the cluster: sha256 → id and why. The first entry of a sha256 names it.
 * `reserved`: names operator aliases hold (model-alias.ts); a model with one of them gets the suffix too.
 */
export function modelIdRules(models: Iterable<{ sha256: string; name: string; base?: ModelIdBase }>, reserved?: { has(name: string): boolean }): Map<string, ModelIdRule> {
  const bySha = new Map<string, { name: string; base: ModelIdBase }>();
  for (const m of models) if (!bySha.has(m.sha256)) bySha.set(m.sha256, { name: m.name, base: m.base ?? "gguf_name" });
  const nameCount = new Map<string, number>();
  for (const { name } of bySha.values()) nameCount.set(name, (nameCount.get(name) ?? 0) + 1);
  const rules = new Map<string, ModelIdRule>();
  for (const [sha, { name, base }] of bySha) {
    const alias = (nameCount.get(name) ?? 0) > 1 || reserved?.has(name) === true;
    rules.set(sha, { id: alias ? `${name}@${sha.slice(0, ALIAS_SHA_PREFIX)}` : name, base, alias });
  }
  return rules;
}

/** One sentence for people (dashboard, docs): why a model has the id it has. */
export function describeModelId(rule: ModelIdRule): string {
  const from = rule.base === "gguf_name" ? "the GGUF's general.name" : "the file name (the GGUF has no general.name)";
  return rule.alias ? `from ${from}, plus @<first ${ALIAS_SHA_PREFIX} hex of its sha256> because another model or an operator alias has the same name` : `from ${from}`;
}

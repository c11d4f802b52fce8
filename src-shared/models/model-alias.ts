import { z } from "zod";
import { parseModelRef } from "./model-ref.js";
import { SHA256_HEX_PATTERN } from "./sha256.js";

/**
 * Operator-defined model aliases (docs/MODEL_STAGING.md "Aliases"): a name the operator chooses
 * ("gpt-4o-mini", "team-chat") that points at one model by sha256. A layer above the automatic id
 * rule (model-id.ts), never part of it: an alias is stored, audited and changed only by an admin.
 */

export const MAX_ALIAS_NAME_LENGTH = 128;
/** How many aliases the cluster keeps: each is listed by /v1/models and /api/tags. */
export const MAX_MODEL_ALIASES = 1000;
/** Ollama's default tag: `name:latest` and `name` are one alias (as they are one model there). */
export const OLLAMA_DEFAULT_TAG = ":latest";

// A subset of the friendly model names (model-ref.ts): no space, no `@` (the automatic rule's
// `name@<sha prefix>`), no `/` or `\` (names are not paths), printable ASCII only (no RTL or
// look-alike characters in a name people read in pickers and logs).
const ALIAS_NAME = /^[A-Za-z0-9_][A-Za-z0-9._:+-]*$/;

/** Why `name` cannot be an alias, or null. `name` is as stored (a trailing :latest already removed). */
export function aliasNameProblem(name: string): string | null {
  if (name.length === 0) return "alias name is empty";
  if (name.length > MAX_ALIAS_NAME_LENGTH) return `alias name is longer than ${MAX_ALIAS_NAME_LENGTH} characters`;
  if (!ALIAS_NAME.test(name)) return "alias name may contain only ASCII letters, digits and ._:+- and must start with a letter, digit or _";
  if (name.includes("..")) return "alias name must not contain '..'";
  // The stored form lost one :latest; a second one would be listed as a name that cannot be deleted by it.
  if (name.endsWith(OLLAMA_DEFAULT_TAG)) return "alias name must not end in :latest:latest (name:latest and name are one alias)";
  if (SHA256_HEX_PATTERN.test(name.toLowerCase())) return "alias name must not be a sha256 digest";
  const parsed = parseModelRef(name);
  // sha256:<hex>, file:, hf: and URLs are references of their own kind: an alias cannot take their place
  // (nor look like one in any case: `SHA256:…` would read as a digest in a picker).
  if (!parsed.ok || parsed.ref.kind !== "name" || /^(sha256|file|hf):/i.test(name)) return "alias name must not be a sha256:, file: or hf: reference";
  return null;
}

/** The stored form: Ollama clients send `name:latest` for `name` (ollama cp x y:latest). */
export function normalizeAliasName(name: string): string {
  const trimmed = name.trim();
  return trimmed.endsWith(OLLAMA_DEFAULT_TAG) && trimmed.length > OLLAMA_DEFAULT_TAG.length ? trimmed.slice(0, -OLLAMA_DEFAULT_TAG.length) : trimmed;
}

export const ModelAliasNameSchema = z
  .string()
  .max(4 * MAX_ALIAS_NAME_LENGTH, `alias name is longer than ${MAX_ALIAS_NAME_LENGTH} characters`)
  .transform(normalizeAliasName)
  .superRefine((name, ctx) => {
    const problem = aliasNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });

/** POST /v2/catalog/aliases: create the alias, or point an existing one at another model. */
export const CreateModelAliasRequestSchema = z.strictObject({
  name: ModelAliasNameSchema,
  /**
   * The model: `sha256:<hex>` (or bare hex), stable across renames; or a name the cluster knows now
   * (a listed id, a GGUF or file name, another alias), resolved once to its sha256 and stored so.
   */
  target: z.string().min(1).max(1024),
});
export type CreateModelAliasRequest = z.infer<typeof CreateModelAliasRequestSchema>;

/** `available`: an online node serves the target; `unavailable`: none does now (staged later, or removed). */
export const ModelAliasStateSchema = z.enum(["available", "unavailable"]);
export type ModelAliasState = z.infer<typeof ModelAliasStateSchema>;

export const ModelAliasSchema = z.object({
  name: z.string(),
  sha256: z.string().regex(SHA256_HEX_PATTERN),
  /** The target's id as /v1/models lists it now; null when no node serves it. */
  target_id: z.string().nullable(),
  state: ModelAliasStateSchema,
  created_at_ms: z.int(),
  updated_at_ms: z.int(),
  /** The admin who last set it (`token:<fp6>`, `key:<id>`, `session:<fp6>`). */
  updated_by: z.string(),
});
export type ModelAlias = z.infer<typeof ModelAliasSchema>;

export const ModelAliasListSchema = z.object({
  aliases: z.array(ModelAliasSchema),
  limit: z.int(),
});
export type ModelAliasList = z.infer<typeof ModelAliasListSchema>;

/** How the request's `target` became a sha256. */
export const AliasTargetResolutionSchema = z.enum(["sha256", "model", "catalog", "alias"]);
export type AliasTargetResolution = z.infer<typeof AliasTargetResolutionSchema>;

export const CreatedModelAliasSchema = ModelAliasSchema.extend({
  /** What the request's `target` was and how it was resolved (a name is resolved once, at creation). */
  resolved_from: z.object({ target: z.string(), via: AliasTargetResolutionSchema }),
  /** The sha256 the alias pointed at before (a replacement); null for a new alias. */
  replaced: z.string().nullable(),
  /** Set when the target is served by no online node now: requests through the alias fail until it is. */
  warning: z.string().optional(),
});
export type CreatedModelAlias = z.infer<typeof CreatedModelAliasSchema>;

/** Path parameter: percent-encoded; `:latest` is removed as in the body. */
export const ModelAliasNameParam = { name: z.string().min(1).max(4 * MAX_ALIAS_NAME_LENGTH) };

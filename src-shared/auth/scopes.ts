import { z } from "zod";

/**
 * What a credential may do (docs/SECURITY.md): `inference` runs tasks (/v1, /v2/tasks, sessions),
 * `worker` registers and heartbeats its own nodes, `read` sees the dashboard's data, `admin` does
 * everything, including keys, settings, logs and login codes.
 */
export const ScopeSchema = z.enum(["inference", "worker", "read", "admin"]);
export type Scope = z.infer<typeof ScopeSchema>;

export const SCOPES: readonly Scope[] = ScopeSchema.options;

/** A list of scopes as a key carries it: at least one, no duplicates. */
export const ScopeListSchema = z
  .array(ScopeSchema)
  .min(1, "give the key at least one scope")
  .refine((list) => new Set(list).size === list.length, "scopes are listed once each");

/** The scopes a key gets when created without `scopes`: least privilege, an API client's. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = ["inference"];

/** True when a credential with `held` may call something that any one of `required` admits (admin admits all). */
export function scopesAdmit(held: readonly Scope[], required: readonly Scope[]): boolean {
  return held.includes("admin") || required.some((s) => held.includes(s));
}

/** True when a credential holding `granter` may mint one holding `requested`: never more than its own. */
export function mayGrantScopes(granter: readonly Scope[], requested: readonly Scope[]): boolean {
  return granter.includes("admin") || requested.every((s) => granter.includes(s));
}

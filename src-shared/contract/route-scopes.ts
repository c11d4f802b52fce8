import { SCOPES, type Scope } from "../auth/scopes.js";
import type { RouteSpec } from "./route-spec.js";

/** Defaults by path prefix: what a GET needs and what any other method needs. Admin always passes. */
interface ScopeRule {
  readonly prefix: string;
  readonly read: readonly Scope[];
  readonly write: readonly Scope[];
}

// Harmless facts any credential may read (capabilities, version, the OpenAPI document).
const ANY: readonly Scope[] = SCOPES;

// First match wins; a prefix matches the path itself or whole segments below it.
const RULES: readonly ScopeRule[] = [
  { prefix: "/v1", read: ["inference"], write: ["inference"] }, // OpenAI and Anthropic
  { prefix: "/api", read: ["inference"], write: ["inference"] }, // Ollama
  { prefix: "/v2/tasks", read: ["inference", "read"], write: ["inference"] },
  { prefix: "/v2/sessions", read: ["inference", "read"], write: ["inference"] },
  { prefix: "/v2/meta", read: ANY, write: ["admin"] },
  { prefix: "/openapi.json", read: ANY, write: ["admin"] },
  { prefix: "/metrics", read: ["read"], write: ["admin"] },
  { prefix: "/v2/metrics", read: ["read"], write: ["admin"] }, // the dashboard's Metrics view history
  { prefix: "/v2/nodes", read: ["read"], write: ["admin"] },
  { prefix: "/v2/pools", read: ["read"], write: ["admin"] },
  { prefix: "/v2/catalog", read: ["read"], write: ["admin"] },
  { prefix: "/v2/events", read: ["read"], write: ["admin"] },
  { prefix: "/v2/settings", read: ["read"], write: ["admin"] },
  { prefix: "/v2/logs", read: ["admin"], write: ["admin"] },
  { prefix: "/v2/auth", read: ["admin"], write: ["admin"] },
];

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The scopes any one of which admits a caller to an authenticated route: the route's own `scopes`,
 * else the default for its path prefix and method. Throws for a route neither covers, so a new
 * route cannot go live without someone deciding who may call it.
 */
export function requiredScopes(route: RouteSpec): readonly Scope[] {
  if (route.scopes !== undefined) {
    if (route.scopes.length === 0) throw new Error(`${route.method.toUpperCase()} ${route.path}: an empty scopes list admits nobody; leave it out or name a scope`);
    return route.scopes;
  }
  const rule = RULES.find((r) => underPrefix(route.path, r.prefix));
  if (rule === undefined) throw new Error(`${route.method.toUpperCase()} ${route.path}: no scope; add \`scopes\` to the route or a prefix rule to route-scopes.ts`);
  return route.method === "get" ? rule.read : rule.write;
}

import { ZodObject, type z } from "zod";
import { validationIssues } from "../src-shared/common/validation-issues.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { jsonBodyShapeProblem } from "../src-shared/common/json-depth.js";

/**
 * Deepest JSON nesting a request body may have. JSON.parse accepts any depth, but every recursive
 * step after it (schema walks, JSON.stringify into the journal or to a worker) would overflow the
 * stack on a hostile body nested thousands of levels deep; real bodies stay far below this.
 */
export const MAX_BODY_JSON_DEPTH = 128;

/**
 * Most validation issues an error envelope lists; past it one more entry says how many were left out.
 * A 1 KB body of 200 empty objects in an array has ~2,000 issues, and listing them all answered it with
 * ~180 KB: at 1,000 such heartbeats a second (the fleet-under-load adversary) the orchestrator spent its
 * time writing errors and the real heartbeats waited.
 */
export const MAX_LISTED_ISSUES = 20;

/** Validates each path parameter with its schema; INVALID_PARAMS names the first one that fails. */
export function parsePathParams(schemas: Readonly<Record<string, z.ZodType>> | undefined, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(schemas ?? {})) {
    const result = schema.safeParse(values[name]);
    if (!result.success) {
      const message = result.error.issues[0]?.message ?? "invalid";
      throw new OrchError("INVALID_PARAMS", `path parameter ${name}: ${message}`, { details: { issues: [{ path: [name], message }] } });
    }
    // Path parameters are strings on the wire; a schema may only narrow them.
    out[name] = String(result.data);
  }
  return out;
}

/**
 * Validates the query or body; INVALID_PARAMS names the first issue and lists up to MAX_LISTED_ISSUES.
 * `routePath` (queries only) decides what an unknown query parameter gets: see refuseUndeclaredQuery.
 */
export function parsePart(schema: z.ZodType, value: unknown, where: "query" | "body", routePath = "/v2/"): unknown {
  const problem = where === "body" ? jsonBodyShapeProblem(value, MAX_BODY_JSON_DEPTH) : null;
  if (problem !== null) throw new OrchError("INVALID_PARAMS", `body: ${problem}`, { details: { issues: [{ path: [], message: problem }] } });
  // A query parameter the route does not know would otherwise be dropped without a word (a typo,
  // `state[]=…`): it is named instead, on our own /v2 routes. The compatible surfaces ignore it, as the
  // servers they stand in for do (`GET /v1/models?api-version=…` from Azure clients, `_=<time>` cache
  // busters). Bodies have their own rules (strict schemas, or refusal by name).
  if (where === "query" && routePath.startsWith("/v2/") && value !== null && typeof value === "object" && schema instanceof ZodObject) {
    const unknown = Object.keys(value).find((key) => !Object.hasOwn(schema.shape, key));
    if (unknown !== undefined) {
      const known = Object.keys(schema.shape).join(", ");
      throw new OrchError("INVALID_PARAMS", `query.${unknown}: not a parameter of this route (it takes ${known})`, { details: { issues: [{ path: [unknown], message: "unknown query parameter" }] } });
    }
  }
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}));
  if (result.success) return result.data;
  const all = validationIssues(result.error);
  const first = all[0];
  const at = first && first.path.length > 0 ? `${where}.${first.path.join(".")}` : where;
  const issues = all.length <= MAX_LISTED_ISSUES ? all : [...all.slice(0, MAX_LISTED_ISSUES), { path: [], message: `and ${all.length - MAX_LISTED_ISSUES} more issues (not listed)` }];
  throw new OrchError("INVALID_PARAMS", `${at}: ${first?.message ?? "invalid"}`, { details: { issues } });
}

/**
 * The query of a route that declares none. Our own /v2 routes refuse one (`GET /v2/nodes?limit=10`
 * would otherwise answer every node as if filtered); the compatible surfaces (/v1, /api, probes)
 * ignore it as the servers they stand in for do, since clients add their own (`api-version`, cache busters).
 */
export function refuseUndeclaredQuery(routePath: string, value: unknown): Record<string, unknown> {
  if (!routePath.startsWith("/v2/") || value === null || typeof value !== "object") return {};
  const first = Object.keys(value)[0];
  if (first === undefined) return {};
  throw new OrchError("INVALID_PARAMS", `query.${first}: ${routePath} takes no query parameters`, { details: { issues: [{ path: [first], message: "unknown query parameter" }] } });
}

/**
 * The body as its route's hand check reads it when the check is sure (`fastParse`, see RouteSpec),
 * else as parsePart reads it: the check returns exactly the schema's output or undefined, so the
 * answer to any body, good or bad, is the schema's.
 */
export function parseBody(schema: z.ZodType, fastParse: ((value: unknown) => unknown) | undefined, value: unknown): unknown {
  const quick = fastParse?.(value);
  return quick !== undefined ? quick : parsePart(schema, value, "body");
}

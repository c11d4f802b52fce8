import type { RequestHandler } from "express";
import type { RouteSpec } from "../src-shared/contract/route-spec.js";
import { OrchError } from "../src-shared/errors/orch-error.js";

/** More than an empty object needs: what is kept to name the first key. */
const KEPT_BYTES = 16 * 1024;

/**
 * For a /v2 route that takes no body: a body that asks for something (`{"ttl_ms": 60000}` on
 * POST /v2/auth/login-codes) is refused by its first key, as an undeclared query parameter is, instead
 * of being ignored. No body, whitespace, `{}` and `null` pass (what clients send for "nothing").
 */
export function refuseUndeclaredBody(route: RouteSpec): RequestHandler | null {
  if (!route.path.startsWith("/v2/") || route.body !== undefined || route.method === "get") return null;
  return (req, _res, next) => {
    const length = req.headers["content-length"];
    if (req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")) {
      next();
      return;
    }
    const kept: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size < KEPT_BYTES) kept.push(chunk);
      size += chunk.length;
    });
    req.once("error", next);
    req.once("end", () => {
      const key = firstKey(Buffer.concat(kept).toString("utf8"), size > KEPT_BYTES);
      if (key === null) {
        next();
        return;
      }
      const message = `${route.method.toUpperCase()} ${route.path} takes no request body; ${key === "" ? "it was sent one" : `body.${key} is not one of its parameters`}`;
      next(new OrchError("INVALID_PARAMS", message, { details: { issues: [{ path: key === "" ? [] : [key], message: "the route takes no body" }] } }));
    });
  };
}

/** null when the body asks for nothing; else its first key ("" when it is not a JSON object). */
function firstKey(text: string, cut: boolean): string | null {
  const trimmed = text.trim();
  if (!cut && (trimmed === "" || trimmed === "null")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return "";
    return Object.keys(value)[0] ?? null;
  } catch {
    // Cut short or not JSON: name the first key if one shows, else the body as a whole.
    return /^\{\s*"((?:[^"\\]|\\.){1,200})"/.exec(trimmed)?.[1] ?? "";
  }
}

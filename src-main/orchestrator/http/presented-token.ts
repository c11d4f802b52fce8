import type { Request } from "express";
import { parseBearer } from "../../../src-shared/auth/parse-bearer.js";

/**
 * The token a request authenticated with, as the authenticators read it: the bearer token, else
 * (without an Authorization header) `x-api-key`. Undefined for a dashboard session. A node registering
 * is called back with exactly this token, whichever header carried it.
 */
export function presentedToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return parseBearer(header);
  const key = req.headers["x-api-key"];
  return typeof key === "string" && key !== "" ? key : undefined;
}

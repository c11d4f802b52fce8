import type { Request, Response } from "express";
import type { Identity } from "./route-context.js";

/**
 * Pluggable authentication for routes whose spec says `auth: true`. The orchestrator resolves
 * tokens and dashboard sessions, the worker its single token. Throws an OrchError
 * (MISSING_TOKEN / BAD_TOKEN) to refuse; `res` is there for challenge headers (WWW-Authenticate).
 */
export interface Authenticator {
  authenticate(req: Request, res: Response): Identity;
}

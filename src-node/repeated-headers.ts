import type { RequestHandler } from "express";
import { OrchError } from "../src-shared/errors/orch-error.js";

/**
 * Headers a request may carry once. Node keeps the first of a repeated Authorization, X-Api-Key or
 * Host and drops the others, while a proxy in front may act on the last: the two would disagree on who
 * is calling, or on which host, so such a request is refused instead of answered for the first.
 */
const ONCE = ["authorization", "x-api-key", "host"] as const;

/** The first of ONCE that `rawHeaders` (name, value, name, value, …) carries more than once, or undefined. */
export function repeatedHeader(rawHeaders: readonly string[]): string | undefined {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // Most headers are none of these: a length check first keeps this cheap on the heartbeat path.
    if (name === undefined || (name.length !== 4 && name.length !== 9 && name.length !== 13)) continue;
    const at = ONCE.indexOf(name.toLowerCase() as (typeof ONCE)[number]);
    if (at < 0) continue;
    const bit = 1 << at;
    if ((seen & bit) !== 0) return ONCE[at];
    seen |= bit;
  }
  return undefined;
}

/** Refuses a request that repeats a header it may carry once (400 MALFORMED_REQUEST, naming it). */
export function repeatedHeaderGuard(): RequestHandler {
  return (req, _res, next) => {
    const repeated = repeatedHeader(req.rawHeaders);
    if (repeated === undefined) {
      next();
      return;
    }
    next(new OrchError("MALFORMED_REQUEST", `the ${repeated} header is sent more than once; send it once`));
  };
}

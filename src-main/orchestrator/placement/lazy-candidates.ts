import type { CandidateVerdict } from "./placement-types.js";

/**
 * Attaches `candidates` (every candidate's verdict) as a getter computed on first read and then kept.
 * Not enumerable: JSON.stringify (the journal) and structural equality see only the eager fields, and
 * the snapshot the computation needs is dropped once it has run.
 */
export function withLazyCandidates<D extends object>(decision: D, compute: () => CandidateVerdict[]): D & { readonly candidates: CandidateVerdict[] } {
  let pending: (() => CandidateVerdict[]) | null = compute;
  let verdicts: CandidateVerdict[] = [];
  Object.defineProperty(decision, "candidates", {
    enumerable: false,
    get: () => {
      if (pending !== null) {
        verdicts = pending();
        pending = null;
      }
      return verdicts;
    },
  });
  return decision as D & { readonly candidates: CandidateVerdict[] };
}

import { createHash } from "node:crypto";

/**
 * What a keyed request asked for, as one short hash: a retry with the same Idempotency-Key must ask
 * for the same thing, or it is refused (IDEMPOTENCY_KEY_REUSED) instead of answered with another
 * request's result. Computed from the admission input as the client's body mapped it (surface, model,
 * prompt or messages, sampling, placement), not from ids the server chose or absolute times.
 */
export function requestFingerprint(request: unknown): string {
  return createHash("sha256").update(canonicalJson(request)).digest("base64url").slice(0, 22);
}

/** JSON with object keys sorted and undefined members left out, so equal requests give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

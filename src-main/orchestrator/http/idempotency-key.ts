import type { Request } from "express";
import type { Identity } from "../../../src-node/route-context.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field"), namespaced by
 * the credential that sent it, so one client's key can never find another client's task. Absent →
 * undefined; present but not 1–255 visible ASCII characters → 400.
 */
export function idempotencyKeyOf(req: Request, identity: Identity): string | undefined {
  const raw = req.headers["idempotency-key"];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !KEY_PATTERN.test(value)) {
    throw new OrchError("INVALID_PARAMS", "Idempotency-Key must be 1 to 255 visible ASCII characters", { details: { issues: [{ path: ["Idempotency-Key"], message: "1 to 255 visible ASCII characters" }] } });
  }
  // The credential's id (unique per API key) and its fingerprint label (which tells configured tokens
  // apart): the 24-bit fingerprint alone could be shared by two keys.
  return `${identity.credentialId}|${identity.label}:${value}`;
}

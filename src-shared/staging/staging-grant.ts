import { z } from "zod";
import { EpochMsSchema, NodeIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

/**
 * A staging grant: what the orchestrator allows one target to read from one source, for one model,
 * until `exp_ms`. Wire form: `<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, payload part))>`
 * where key = HMAC-SHA256(source worker's token, GRANT_KEY_LABEL). The source verifies it with its
 * own token; the target only carries it, so it never needs the source's token.
 */
export const StagingGrantPayloadSchema = z.strictObject({
  v: z.literal(1),
  sha256: Sha256HexSchema,
  source_node_id: NodeIdSchema,
  target_node_id: NodeIdSchema,
  job_id: z.string().min(1).max(128),
  exp_ms: EpochMsSchema,
});
export type StagingGrantPayload = z.infer<typeof StagingGrantPayloadSchema>;

/** Derivation label of the grant key, so a grant signature can never be replayed as anything else. */
export const GRANT_KEY_LABEL = "llama-orch staging grant v1";

/** Grants live long enough to start a pull; a running transfer is not cut when it expires. */
export const GRANT_TTL_MS = 5 * 60_000;

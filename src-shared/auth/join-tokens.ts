import { z } from "zod";
import { NodeIdSchema } from "../common/ids.js";
import { ScopeListSchema } from "./scopes.js";

/** Join tokens live 15 minutes unless asked otherwise, 24 hours at most. */
export const JOIN_TOKEN_DEFAULT_TTL_MS = 15 * 60_000;
export const JOIN_TOKEN_MAX_TTL_MS = 24 * 60 * 60_000;
/** Join tokens start with this, so the join route can tell them from API keys (`llo_`). */
export const JOIN_TOKEN_PREFIX = "llj_";

/** POST /v2/auth/join-tokens (admin). */
export const CreateJoinTokenRequestSchema = z.strictObject({
  /** Bind the token to one node id in advance; absent, the joining agent names its node id. */
  node_id: NodeIdSchema.optional(),
  ttl_ms: z.int().min(1000).max(JOIN_TOKEN_MAX_TTL_MS).optional(),
  /** The base URL workers reach the orchestrator at, for the `join` string (default: its own listen URL, which is useless from elsewhere on a 0.0.0.0 bind). */
  orchestrator_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});
export type CreateJoinTokenRequest = z.infer<typeof CreateJoinTokenRequestSchema>;

/** 201 of POST /v2/auth/join-tokens: the token is shown once and stored only as a SHA-256 digest. */
export const CreatedJoinTokenSchema = z.object({
  id: z.string(),
  token: z.string(),
  fp6: z.string(),
  node_id: NodeIdSchema.nullable(),
  expires_at_ms: z.int().min(0),
  /** With TLS on, the cluster CA's `sha256:<hex>` fingerprint the agent pins; null without TLS. */
  ca_fingerprint: z.string().nullable(),
  /** The value of `llama-orch-worker start --join` (env LLORCH_JOIN): `<orchestrator url>#<token>[@<ca fingerprint>]`. */
  join: z.string(),
});
export type CreatedJoinToken = z.infer<typeof CreatedJoinTokenSchema>;

/** One unspent join token as GET /v2/auth/join-tokens lists it: never the token, nor its digest. */
export const JoinTokenInfoSchema = z.object({
  id: z.string(),
  fp6: z.string(),
  node_id: NodeIdSchema.nullable(),
  created_at_ms: z.int().min(0),
  expires_at_ms: z.int().min(0),
  /** The credential that minted it (`builtin`, `key:<id>`, a dashboard session). */
  created_by: z.string(),
});
export type JoinTokenInfo = z.infer<typeof JoinTokenInfoSchema>;

export const JoinTokenListResponseSchema = z.object({ join_tokens: z.array(JoinTokenInfoSchema) });
export type JoinTokenListResponse = z.infer<typeof JoinTokenListResponseSchema>;

/** POST /v2/nodes/join, with `Authorization: Bearer <join token>`. */
export const JoinNodeRequestSchema = z.strictObject({
  node_id: NodeIdSchema,
  /** The agent's own EC P-256 public key (SPKI PEM): with TLS on, the orchestrator signs a certificate for it. The private key never leaves the worker. */
  tls_public_key: z.string().min(1).max(4096).optional(),
  /**
   * The worker key the agent made for itself (`llo_` + 64 hex digits) and stored before asking: the
   * orchestrator keeps only its digest. An agent whose answer was lost (the orchestrator killed after its
   * commit, a cut connection) then already holds its key: a retry finds the token spent and the agent
   * checks its own key instead of being locked out. Absent, the orchestrator makes the key.
   */
  key: z.string().regex(/^llo_[0-9a-f]{64}$/, "key must be llo_ followed by 64 lowercase hex digits").optional(),
});
export type JoinNodeRequest = z.infer<typeof JoinNodeRequestSchema>;

/** 201 of POST /v2/nodes/join: the node's own `worker` key, shown once. */
export const JoinNodeResponseSchema = z.object({
  node_id: NodeIdSchema,
  key_id: z.string(),
  key: z.string(),
  fp6: z.string(),
  scopes: ScopeListSchema,
  /** With TLS on and a tls_public_key sent: the node's certificate (PEM, CN = node id) and the CA that signed it. */
  tls: z.object({ certificate: z.string(), ca_certificate: z.string(), ca_fingerprint: z.string() }).nullable(),
});
export type JoinNodeResponse = z.infer<typeof JoinNodeResponseSchema>;

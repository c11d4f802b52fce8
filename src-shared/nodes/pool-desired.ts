import { z } from "zod";
import { EpochMsSchema, PoolIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

/**
 * What the operator wants a pool to be (Paddler's desired state), held and persisted by the
 * orchestrator and reconciled against the pool snapshots workers report. `null` means "whatever
 * the worker runs": the orchestrator only acts on what an operator asked for.
 */
export const PoolDesiredSchema = z.object({
  pool_id: PoolIdSchema,
  /** sha256 of the model the pool should serve. */
  model: Sha256HexSchema.nullable(),
  /** Slots the pool should offer (reported, not yet enforceable: workers cannot resize at run time). */
  slots: z.int().min(1).nullable(),
  /** Operator drain: no new placements from the moment it is asked, until resumed. */
  draining: z.boolean(),
  /** Deadline handed to the worker with each drain or reload command it is sent. */
  drain_deadline_ms: z.int().min(0).max(3_600_000),
  updated_at_ms: EpochMsSchema,
});
export type PoolDesired = z.infer<typeof PoolDesiredSchema>;

/** Where reconciliation of one pool stands: desired vs what the worker last reported. */
export const PoolConvergenceSchema = z.object({
  converged: z.boolean(),
  /** The command the orchestrator (re)issues until the worker reports the desired state. */
  pending: z.enum(["drain", "reload", "resume"]).nullable(),
  /** For people: "draining (requested)", "reloading to tiny-b", "waiting for the node to report". */
  detail: z.string(),
  /** Commands sent since the desired state last changed. */
  attempts: z.int().min(0),
  last_error: z.string().nullable(),
  /** When the next attempt may go out (back-off), if one is due. */
  next_attempt_ms: EpochMsSchema.nullable(),
});
export type PoolConvergence = z.infer<typeof PoolConvergenceSchema>;

export const PoolDesiredStatusSchema = PoolDesiredSchema.extend({ convergence: PoolConvergenceSchema });
export type PoolDesiredStatus = z.infer<typeof PoolDesiredStatusSchema>;

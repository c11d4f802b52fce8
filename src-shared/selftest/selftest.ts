import { z } from "zod";
import { EpochMsSchema, NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { PrioritySchema } from "../tasks/task-request.js";
import { MAX_SIMULATED_HANG_MS } from "../worker-api/simulated-hang.js";

/** The three measurements of a self-test run, in the order they run (the one that disturbs a node last). */
export const SelftestSectionNameSchema = z.enum(["overhead", "fairness", "detection"]);
export type SelftestSectionName = z.infer<typeof SelftestSectionNameSchema>;

/**
 * POST /v2/selftest — a bounded measurement of the operator's own cluster (docs/CLUSTER.md
 * "Self-test"). No node is touched unless `stop_node` names it: that is the operator's consent to
 * make that worker hang for `hang_ms`. Unknown keys are refused, so a misspelt consent is never ignored.
 */
export const SelftestRequestSchema = z.strictObject({
  /** Completions per path (direct to a worker, through the orchestrator), interleaved. */
  samples: z.int().min(4).max(200).default(20),
  /** Tokens generated per overhead sample (small: the point is the router, not decoding). */
  max_tokens: z.int().min(1).max(16).default(4),
  /** Consent to make this node's agent hang, to time failure detection; absent: detection is skipped. */
  stop_node: NodeIdSchema.optional(),
  hang_ms: z.int().min(1000).max(MAX_SIMULATED_HANG_MS).default(4000),
  /** Tasks per priority lane in the fairness burst. */
  fairness_tasks: z.int().min(2).max(20).default(6),
  sections: z.array(SelftestSectionNameSchema).min(1).max(3).default(["overhead", "fairness", "detection"]),
});
export type SelftestRequest = z.infer<typeof SelftestRequestSchema>;
export type SelftestRequestInput = z.input<typeof SelftestRequestSchema>;

export const LatencySummarySchema = z.object({
  count: z.int().min(0),
  p50_ms: z.number().min(0),
  p99_ms: z.number().min(0),
  mean_ms: z.number().min(0),
  max_ms: z.number().min(0),
});
export type LatencySummary = z.infer<typeof LatencySummarySchema>;

const skipped = z.object({ status: z.literal("skipped"), reason: z.string() });
const failed = z.object({ status: z.literal("failed"), reason: z.string() });

export const OverheadResultSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    model: z.string(),
    pool_id: PoolIdSchema,
    node_id: NodeIdSchema,
    max_tokens: z.int().min(1),
    direct: LatencySummarySchema,
    through: LatencySummarySchema,
    /** through − direct at each percentile: what the orchestrator adds. */
    added_p50_ms: z.number(),
    added_p99_ms: z.number(),
    errors: z.int().min(0),
  }),
  skipped,
  failed,
]);
export type OverheadResult = z.infer<typeof OverheadResultSchema>;

export const DetectionResultSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    node_id: NodeIdSchema,
    hang_ms: z.int().min(0),
    /** From the worker accepting the hang to the orchestrator taking the node out of placement; null: never within the run. */
    unschedulable_after_ms: z.number().min(0).nullable(),
    /** The status it was marked (Suspect or Offline). */
    marked: z.string().nullable(),
    /** From the hang's end to the node Online again; null: not back within the bound. */
    back_online_after_ms: z.number().nullable(),
    node_suspect_ms: z.int().min(0),
    worker_stream_idle_ms: z.int().min(0),
  }),
  skipped,
  failed,
]);
export type DetectionResult = z.infer<typeof DetectionResultSchema>;

export const FairnessEntrySchema = z.object({
  priority: PrioritySchema,
  /** Submission order within the burst (0 first). */
  submitted: z.int().min(0),
  /** Order in which the tasks started on a worker; null when it never started. */
  started: z.int().min(0).nullable(),
  queue_wait_ms: z.int().min(0).nullable(),
  state: z.string(),
});

export const FairnessResultSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    pool_id: PoolIdSchema,
    /** Tasks that filled every slot first, so the burst had to queue. */
    blockers: z.int().min(0),
    /** Burst tasks that started only after the blockers were released, i.e. really queued (0: the burst never contended). */
    queued_behind_blockers: z.int().min(0),
    /** Batch tasks, then interactive ones, submitted back to back. */
    order: z.array(FairnessEntrySchema),
    /** Expectation: a queued interactive task starts before every batch task still queued when it arrived. */
    priority_inversions: z.int().min(0),
    /** Expectation: first come first served within a lane. */
    fifo_inversions: z.int().min(0),
    interactive_wait: LatencySummarySchema,
    batch_wait: LatencySummarySchema,
    passed: z.boolean(),
  }),
  skipped,
  failed,
]);
export type FairnessResult = z.infer<typeof FairnessResultSchema>;

export const SelftestReportSchema = z.object({
  orchestrator_version: z.string(),
  started_at_ms: EpochMsSchema,
  finished_at_ms: EpochMsSchema,
  overhead: OverheadResultSchema,
  detection: DetectionResultSchema,
  fairness: FairnessResultSchema,
});
export type SelftestReport = z.infer<typeof SelftestReportSchema>;

export const SelftestStateSchema = z.enum(["running", "completed", "canceled", "failed"]);
export type SelftestState = z.infer<typeof SelftestStateSchema>;

/** GET /v2/selftest/{id}: a run's progress and, once it ended, its report. */
export const SelftestRunSchema = z.object({
  id: z.string(),
  state: SelftestStateSchema,
  started_by: z.string(),
  request: SelftestRequestSchema,
  phase: z.union([SelftestSectionNameSchema, z.literal("done")]),
  /** Steps done of the run's total, for a progress bar. */
  done: z.int().min(0),
  total: z.int().min(0),
  message: z.string(),
  started_at_ms: EpochMsSchema,
  finished_at_ms: EpochMsSchema.nullable(),
  /** Complete once the run ended; sections not reached yet show as skipped. */
  report: SelftestReportSchema.nullable(),
});
export type SelftestRun = z.infer<typeof SelftestRunSchema>;

export const SelftestListResponseSchema = z.object({ runs: z.array(SelftestRunSchema) });
export type SelftestListResponse = z.infer<typeof SelftestListResponseSchema>;

export const SelftestIdParamSchema = z.string().regex(/^st-[a-z0-9-]{1,64}$/);

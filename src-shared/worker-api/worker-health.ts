import { z } from "zod";
import { NodeIdSchema } from "../common/ids.js";

/** GET /health on a worker agent — open, no token. */
export const WorkerHealthResponseSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
  node_id: NodeIdSchema,
});
export type WorkerHealthResponse = z.infer<typeof WorkerHealthResponseSchema>;

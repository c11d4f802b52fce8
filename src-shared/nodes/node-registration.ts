import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { NodeCapabilitiesSchema } from "./gpu-capabilities.js";
import { NodeModelListSchema } from "./node-model-limit.js";
import { nodePoolList } from "./node-pool-limit.js";

/** POST /v2/nodes/register — idempotent; re-registering replaces the node record (spec §6.1). */
export const RegisterNodeRequestSchema = z.object({
  node_id: NodeIdSchema,
  machine_id: z.string().min(1).max(256),
  /**
   * Base URL of the worker's own API, e.g. http://10.0.0.11:9200. At most 2,048 characters: it is what the
   * orchestrator calls, so a longer one is refused, not cut (a 300 KB address was kept and repeated in
   * every node list and dashboard frame).
   */
  address: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    // The orchestrator authenticates to a worker with the node's token, never with a URL's user:password,
    // and the address is logged and listed on the dashboard.
    .refine((address) => !/^[a-z]+:\/\/[^/?#]*@/i.test(address), { message: "an address cannot carry credentials (user:password@): the orchestrator calls workers with the node's token, and addresses are logged and listed" }),
  pools: nodePoolList(PoolIdSchema, (id) => id),
  capabilities: NodeCapabilitiesSchema,
  version: z.string().nullable().optional(),
  models: NodeModelListSchema.optional(),
});
export type RegisterNodeRequest = z.infer<typeof RegisterNodeRequestSchema>;

export const RegisterNodeResponseSchema = z.object({
  success: z.boolean(),
  message: z.string(),
  node_id: NodeIdSchema,
  /** When the orchestrator expects the next heartbeat. */
  next_heartbeat_ms: z.int().min(1),
});
export type RegisterNodeResponse = z.infer<typeof RegisterNodeResponseSchema>;

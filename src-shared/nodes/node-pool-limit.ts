import { z } from "zod";

/**
 * Most pools one node may register or report. A worker runs one engine per pool, so real nodes have a
 * handful; the bound keeps one node (a careless or hostile agent with a worker key) from making the
 * orchestrator track, probe and export metrics for hundreds of thousands of pool ids.
 */
export const MAX_POOLS_PER_NODE = 1024;

/** A node's pool list (ids or snapshots): at most MAX_POOLS_PER_NODE entries, each pool id once. */
export function nodePoolList<T extends z.ZodType>(item: T, idOf: (value: z.infer<T>) => string) {
  return z
    .array(item)
    .max(MAX_POOLS_PER_NODE)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        const id = idOf(value);
        if (seen.has(id)) ctx.addIssue({ code: "custom", path: [index], message: `pool id ${id} appears twice: pool ids are unique on a node` });
        seen.add(id);
      });
    });
}

import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { NodeInfoSchema, type NodeInfo } from "../nodes/node-info.js";
import { PoolSnapshotSchema, type PoolSnapshot } from "../nodes/pool-snapshot.js";
import { sameJson } from "./same-json.js";

/** The optional keys of a pool snapshot: the ones a patch may remove. */
const OPTIONAL_POOL_KEYS = ["engine_version", "device_mask", "model", "last_error", "tokens_per_second"] as const satisfies readonly (keyof PoolSnapshot)[];

/** The fields of one pool that changed, by pool id; `unset` lists optional fields the pool no longer has. */
export const PoolPatchSchema = PoolSnapshotSchema.partial().extend({
  pool_id: PoolIdSchema,
  unset: z.array(z.enum(OPTIONAL_POOL_KEYS)).optional(),
});
export type PoolPatch = z.infer<typeof PoolPatchSchema>;

/**
 * A node frame of the dashboard feed's protocol 2 (`node_delta`): only what changed since the last
 * frame for that node. `seq` numbers every node frame of the feed (deltas and removals, all nodes):
 * a client that sees anything but its last `seq` + 1 missed a frame and must resync (reconnect for a
 * new snapshot). `full` frames carry every field in `set` (a node the client may not know yet).
 * Values are absolute, so applying a delta to a state that already has it changes nothing.
 */
export const NodeDeltaSchema = z.object({
  seq: z.int().min(1),
  node_id: NodeIdSchema,
  full: z.literal(true).optional(),
  /** Top-level fields with their new value; `pools` only when the node's list of pool ids changed (or `full`). */
  set: NodeInfoSchema.omit({ node_id: true }).partial(),
  /** Changed pools, by id, when the list of pool ids is unchanged. */
  pools: z.array(PoolPatchSchema).optional(),
});
export type NodeDelta = z.infer<typeof NodeDeltaSchema>;

/** A delta without its sequence number (the feed numbers it when it sends it). */
export type NodeChangeSet = Omit<NodeDelta, "seq">;

type NodeFields = Omit<NodeInfo, "node_id">;

/** Same JSON text (what a client applying the delta would see), compared without serialising. */
const same = sameJson;

/** What changed from `prev` to `next` (the same node); a `full` change set when there is no `prev`; null when nothing did. */
export function diffNode(prev: NodeInfo | undefined, next: NodeInfo): NodeChangeSet | null {
  const { node_id, ...fields } = next;
  if (prev === undefined) return { node_id, full: true, set: fields };
  const set: Partial<NodeFields> = {};
  let changed = false;
  for (const key of Object.keys(fields) as (keyof NodeFields)[]) {
    if (key === "pools") continue;
    if (!same(prev[key], next[key])) {
      (set as Record<string, unknown>)[key] = next[key];
      changed = true;
    }
  }
  const samePoolIds = prev.pools.length === next.pools.length && prev.pools.every((p, i) => p.pool_id === next.pools[i]?.pool_id);
  let pools: PoolPatch[] | undefined;
  if (!samePoolIds) {
    set.pools = next.pools;
    changed = true;
  } else {
    for (let i = 0; i < next.pools.length; i++) {
      const patch = diffPool(prev.pools[i] as PoolSnapshot, next.pools[i] as PoolSnapshot);
      if (patch !== null) (pools ??= []).push(patch);
    }
  }
  if (!changed && pools === undefined) return null;
  return pools === undefined ? { node_id, set } : { node_id, set, pools };
}

function diffPool(prev: PoolSnapshot, next: PoolSnapshot): PoolPatch | null {
  const patch: PoolPatch = { pool_id: next.pool_id };
  let changed = false;
  for (const key of Object.keys(next) as (keyof PoolSnapshot)[]) {
    if (key !== "pool_id" && next[key] !== undefined && !same(prev[key], next[key])) {
      (patch as Record<string, unknown>)[key] = next[key];
      changed = true;
    }
  }
  for (const key of OPTIONAL_POOL_KEYS) {
    if (prev[key] !== undefined && next[key] === undefined) {
      (patch.unset ??= []).push(key);
      changed = true;
    }
  }
  return changed ? patch : null;
}

/**
 * `prev` with the delta applied; null when it cannot be applied (a partial delta for a node or pool
 * the client does not have, or a `full` one missing fields): the client lost track and must resync.
 */
export function applyNodeDelta(prev: NodeInfo | undefined, delta: NodeChangeSet): NodeInfo | null {
  if (delta.full === true) {
    const parsed = NodeInfoSchema.safeParse({ node_id: delta.node_id, ...delta.set });
    return parsed.success ? parsed.data : null;
  }
  if (prev === undefined || prev.node_id !== delta.node_id) return null;
  const next: NodeInfo = { ...prev, ...delta.set };
  if (delta.pools === undefined) return next;
  const pools = [...next.pools];
  for (const { unset, ...patch } of delta.pools) {
    const i = pools.findIndex((p) => p.pool_id === patch.pool_id);
    if (i < 0) return null;
    const pool: PoolSnapshot = { ...(pools[i] as PoolSnapshot), ...patch };
    for (const key of unset ?? []) delete pool[key];
    pools[i] = pool;
  }
  next.pools = pools;
  return next;
}

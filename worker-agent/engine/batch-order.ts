import type { BatchItem, CustomBatchingPrioritizationStrategy, LlamaContext, PrioritizedBatchItem } from "node-llama-cpp";

// With one KV cache stream per sequence (node-llama-cpp's default, as llama-server's --no-kv-unified),
// llama.cpp splits a batch into micro-batches of *consecutive, increasing* sequence ids, in the
// batch's order (llama_batch_allocr::split_equal with `sequential`): a batch of sequences 3, 2, 1, 0
// runs as four graph computations, each reading all the weights, where 0, 1, 2, 3 runs as one.
// node-llama-cpp adds the queued decodes in the order the sequences queued them, i.e. in whatever
// order their sampling finished, so four streams often paid for two to four decodes per step: on the
// big model four streams cost as much CPU per token as one (docs/PERFORMANCE.md, "Four streams, one
// decode per step"). llama-server adds its slots in slot order. This strategy does the same: the
// batch's items in sequence-id order, each given an equal share of the batch and what is left going
// to the longer ones in that order (node-llama-cpp's default "maximumParallelism" split, reordered).
//
// The items carry no sequence id; `LlamaContext._queuedDecodes` (internal to node-llama-cpp, read
// for the pinned version only) holds one entry per item, in the same order, when the strategy runs.
// Without it the items keep their order.

/** The sequence id of each queued decode, in queue order; undefined when this node-llama-cpp has no such field. */
export function queuedSequenceIds(context: LlamaContext): readonly number[] | undefined {
  const queued: unknown = "_queuedDecodes" in context ? context._queuedDecodes : undefined;
  if (!Array.isArray(queued)) return undefined;
  const ids: number[] = [];
  for (const entry of queued as unknown[]) {
    if (typeof entry !== "object" || entry === null || !("sequenceId" in entry) || typeof entry.sequenceId !== "number") return undefined;
    ids.push(entry.sequenceId);
  }
  return ids;
}

/**
 * A batching strategy that orders the items by sequence id. `ids` gives the queued decodes' sequence
 * ids, one per item in item order (queuedSequenceIds of the context); anything else keeps the order.
 */
export function sequenceOrderedBatches(ids: () => readonly number[] | undefined): CustomBatchingPrioritizationStrategy {
  return ({ items, size }) => {
    // A lone item (one stream, or one prompt) has nothing to order or share.
    const only = items.length === 1 ? items[0] : undefined;
    if (only !== undefined) return [{ item: only, processAmount: Math.min(only.tokens.length, size) }];
    const order = ids();
    const ordered: readonly BatchItem[] =
      order === undefined || order.length !== items.length
        ? items
        : items
            .map((item, index) => ({ item, id: order[index] as number, index }))
            .sort((a, b) => a.id - b.id || a.index - b.index)
            .map(({ item }) => item);
    // An equal share each (node-llama-cpp keeps the batch at least as large as its sequence count).
    const share = Math.max(1, Math.floor(size / Math.max(1, ordered.length)));
    let left = size;
    const result: PrioritizedBatchItem[] = ordered.map((item) => {
      const processAmount = Math.min(item.tokens.length, share, Math.max(0, left));
      left -= processAmount;
      return { item, processAmount };
    });
    for (const entry of result) {
      if (left <= 0) break;
      const more = Math.min(entry.item.tokens.length - entry.processAmount, left);
      entry.processAmount += more;
      left -= more;
    }
    return result.filter((entry) => entry.processAmount > 0);
  };
}

import { z } from "zod";
import { ModelInventoryEntrySchema } from "../models/model-inventory.js";

/**
 * Most model files one node may report (registration or heartbeat). Every sha256 a node reports becomes
 * a catalog entry: without a bound one `worker` key sent 3,000 made-up models a heartbeat, and 20
 * heartbeats left 60,000 catalog entries for good and a GET /v2/catalog/models of 52 MB that took
 * 290 s (security adversary, 2026-11-30). A worker with more files reports the first ones by file name.
 */
export const MAX_MODELS_PER_NODE = 1024;

/** A node's model inventory as it reports it: at most MAX_MODELS_PER_NODE entries. */
export const NodeModelListSchema = z.array(ModelInventoryEntrySchema).max(MAX_MODELS_PER_NODE);

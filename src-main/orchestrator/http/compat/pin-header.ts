import type { Request } from "express";
import { NodeIdSchema } from "../../../../src-shared/common/ids.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import { PIN_NODE_HEADER, type PlacementOverrides } from "../../../../src-shared/tasks/placement.js";

/** `X-Llorch-Pin-Node: <node id>` → a pin without fallback; absent → automatic placement. */
export function pinFromHeader(req: Request): PlacementOverrides | undefined {
  const raw = req.get(PIN_NODE_HEADER);
  if (raw === undefined || raw.trim() === "") return undefined;
  const parsed = NodeIdSchema.safeParse(raw.trim());
  if (!parsed.success) throw new OrchError("INVALID_PARAMS", `${PIN_NODE_HEADER} must be a node id`);
  return { mode: "pin", pin_node_id: parsed.data, allow_fallback: false };
}

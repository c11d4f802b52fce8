import type { IncomingHttpHeaders } from "node:http";
import { ANTHROPIC_MODEL_PAGE, ANTHROPIC_VERSION_HEADER, type AnthropicModel, type AnthropicModelList, type ModelListQuery } from "../../../../src-shared/anthropic/anthropic-models.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import { echoedModelId, type ResolvedModel } from "../../catalog/model-resolver.js";

/** A request from one of Anthropic's SDKs (they always send anthropic-version; OpenAI's never do). */
export function isAnthropicClient(req: { headers: IncomingHttpHeaders }): boolean {
  return req.headers[ANTHROPIC_VERSION_HEADER] !== undefined;
}

/** A model as Anthropic's models API describes one; display_name is the GGUF's name (an alias says whose). */
export function anthropicModel(m: ResolvedModel, createdAt: string): AnthropicModel {
  return { type: "model", id: echoedModelId(m), display_name: m.alias !== undefined ? `${m.alias} (alias of ${m.id})` : m.name, created_at: createdAt };
}

/** One page of Anthropic's model list: `limit` models after `after_id` or before `before_id`. */
export function anthropicModelPage(models: readonly AnthropicModel[], query: ModelListQuery): AnthropicModelList {
  const limit = query.limit ?? ANTHROPIC_MODEL_PAGE;
  if (query.after_id !== undefined && query.before_id !== undefined) throw new OrchError("INVALID_PARAMS", "after_id and before_id cannot be combined: send one of them");
  const at = (id: string, param: string): number => {
    const index = models.findIndex((m) => m.id === id);
    if (index < 0) throw new OrchError("INVALID_PARAMS", `${param} "${id}" is not a model of this list; GET /v1/models lists them`);
    return index;
  };
  let start = 0;
  let end = models.length;
  if (query.after_id !== undefined) start = at(query.after_id, "after_id") + 1;
  if (query.before_id !== undefined) end = at(query.before_id, "before_id");
  // before_id pages backwards: the `limit` models just before it.
  if (query.before_id !== undefined) start = Math.max(0, end - limit);
  else end = Math.min(end, start + limit);
  const data = models.slice(start, end);
  const hasMore = query.before_id !== undefined ? start > 0 : end < models.length;
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

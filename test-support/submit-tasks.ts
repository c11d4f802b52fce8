import type { TaskRequestV2Input } from "../src-shared/tasks/task-request.js";
import { taskRequest } from "./fixtures.js";

/**
 * Submits `count` /v2/tasks completions for `model` one after another (each placed in a pump of its own,
 * as steady traffic is), requires a 202 for each, and returns their task ids in order.
 */
export async function submitTasks(api: (path: string, init?: RequestInit) => Promise<Response>, count: number, model: string, over: Partial<TaskRequestV2Input> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = taskRequest(model, over);
    const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
    if (res.status !== 202) throw new Error(`task ${i + 1} of ${count}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    ids.push(body.task_id);
  }
  return ids;
}

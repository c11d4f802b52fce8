// Request bodies the integration and browser tests send, built in one place: a test states only what
// differs from these defaults.
import { randomUUID } from "node:crypto";
import type { TaskRequestV2Input } from "../src-shared/tasks/task-request.js";

/** A /v2/tasks completion for `model` with fresh task and session ids. */
export function taskRequest(model: string, over: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input {
  return { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: model, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hello", max_tokens: 4, deadline_ms: 30_000, ...over };
}

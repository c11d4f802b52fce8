import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { TaskJournal } from "../db/task-journal.js";
import { outcomeEvent } from "./journal-outcome.js";
import { finishedRecord } from "./journal-records.js";
import { newTask } from "./new-task.js";
import { storedTaskJson } from "./stored-task.js";
import { journalTaskStatus, taskStatus } from "./task-status.js";
import type { Task } from "./task.js";

// GET /v2/tasks/{id} for a task only the journal still holds (after a restart, or once it left memory)
// answers what the task was: it said workload "completion", max_tokens 1, stop_reason null and one attempt
// for every task, and the model by sha256 instead of the name the client asked for.

const openDb = tempDatabases("llorch-task-status-");
const SHA = "a".repeat(64);

function finished(fields: Partial<Task> & Pick<Task, "workload" | "generation">): Task {
  const task = newTask({
    task_id: crypto.randomUUID(), session_id: crypto.randomUUID(), api: "v2", workload: fields.workload, engine: "llamacpp", priority: "batch", model_ref: "my-model",
    model: { id: "my-model", sha256: SHA, name: "my-model", file_name: "m.gguf", size_bytes: 1, has_chat_template: true }, generation: fields.generation,
    placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: 60_000, idempotency_key: null, request_fingerprint: null, owner: "key:k1", enqueued_at_ms: 1_000,
  });
  return Object.assign(task, { state: "completed", started_at_ms: 1_010, first_token_at_ms: 1_020, finished_at_ms: 1_100, node_id: "n2", pool_id: "n2.p", tokens_in: 5, tokens_out: 77, ...fields });
}

/** The task's journal row once it finished, as a restart reads it. */
function journaled(task: Task) {
  const journal = new TaskJournal(openDb());
  journal.accepted({ task_id: task.task_id, session_id: task.session_id, api: task.api, model_sha256: SHA, priority: task.priority, accepted_at_ms: task.enqueued_at_ms, request_json: storedTaskJson(task), idempotency_key: null });
  journal.finished(finishedRecord(task));
  const row = journal.get(task.task_id);
  if (row === null) throw new Error("no row");
  return row;
}
const roundTrip = (task: Task) => journalTaskStatus(journaled(task));
const outcomeOf = (task: Task) => outcomeEvent(journaled(task));

describe("a journaled task's status", () => {
  it("is what the task was: workload, model as asked, max_tokens, why it stopped, attempts and rescues", () => {
    const completion = finished({ workload: "completion", generation: { prompt: "x", max_tokens: 77 }, stop_reason: "max_tokens", attempted_nodes: ["n1", "n2"], rescues: 1 });
    const live = taskStatus(completion, null);
    expect(roundTrip(completion)).toMatchObject({ workload: "completion", engine: "llamacpp", model_ref: "my-model", model_sha256: SHA, max_tokens: 77, stop_reason: "max_tokens", attempts: 2, rescues: 1, tokens_out: 77, state: "completed" });
    expect(roundTrip(completion)).toMatchObject({ workload: live.workload, model_ref: live.model_ref, max_tokens: live.max_tokens, stop_reason: live.stop_reason, attempts: live.attempts });
    const embedding = finished({ workload: "embedding", generation: { inputs: ["a", "b"], max_tokens: 1 }, stop_reason: "stop" });
    expect(roundTrip(embedding)).toMatchObject({ workload: "embedding", stop_reason: "stop" });
    // The stream of such a task (just its outcome) says why it stopped too.
    expect(outcomeOf(completion)).toMatchObject({ event: "end", data: { tokens_out: 77, stop_reason: "max_tokens" } });
  });
});

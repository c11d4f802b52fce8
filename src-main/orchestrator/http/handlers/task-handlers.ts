import { encodeSseEvent } from "../../../../src-shared/streaming/sse-codec.js";
import { taskStreamPaths } from "../../../../src-shared/tasks/admission.js";
import { pickGeneration, type Generation } from "../../../../src-shared/tasks/generation.js";
import { grammarSchema } from "../compat/openai-chat-features.js";
import type { TaskRequestV2 } from "../../../../src-shared/tasks/task-request.js";
import type { TaskEventsQuery, TaskListQuery } from "../../../../src-shared/tasks/task-status.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { canonicalUuid } from "../../../../src-shared/common/ids.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { openSse } from "../../../../src-node/sse-writer.js";
import { watchOptions } from "../watch-options.js";
import { eventId, resumeIndex } from "../../tasks/event-ids.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { assertSameRequest } from "../../tasks/keyed-retry.js";
import { idempotencyKeyOf } from "../idempotency-key.js";
import { assertTaskAccess, mayAccessTask, mayCancelTask, seesEveryTask } from "../task-access.js";

/**
 * The generation with its JSON schemas (format, tool parameters) in the grammar subset, refused with a
 * 400 naming the keyword otherwise, as the compatible surfaces do: before the task is queued, not as
 * a failure on the worker.
 */
function grammarChecked(generation: Generation): Generation {
  if (generation.format?.type !== "json_schema" && generation.tools === undefined) return generation;
  const format = generation.format?.type === "json_schema" ? { format: { type: "json_schema" as const, schema: grammarSchema(generation.format.schema, "format.schema") } } : {};
  const tools = generation.tools?.map((tool, i) => (tool.parameters === undefined || Object.keys(tool.parameters).length === 0 ? tool : { ...tool, parameters: grammarSchema(tool.parameters, `tools[${i}].parameters`, "tool arguments") }));
  return { ...generation, ...format, ...(tools === undefined ? {} : { tools }) };
}

export function taskHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const tasks = ctx.tasks;
  return {
    createTask: async ({ body, req: httpReq, res, identity, span }) => {
      const req = body as TaskRequestV2;
      const idempotencyKey = idempotencyKeyOf(httpReq, identity);
      const input: AdmissionInput = {
        task_id: req.task_id,
        session_id: req.session_id,
        api: "v2",
        workload: req.workload,
        engine: req.engine,
        model_ref: req.model_ref,
        priority: req.priority,
        ctx: req.ctx,
        deadline_ms: req.deadline_ms,
        placement: req.placement,
        // A rerank task runs as scored inputs: documents are the inputs, query the ranking query.
        generation: req.workload === "rerank" ? { ...pickGeneration(req), inputs: req.documents, rank_query: req.query } : grammarChecked(pickGeneration(req)),
        idempotency_key: idempotencyKey,
        owner: identity.credentialId,
        trace_parent: span,
      };
      const earlier = idempotencyKey === undefined ? null : tasks.forIdempotencyKey(idempotencyKey);
      if (earlier !== null) {
        // A retry of an acknowledged request (the same request: keyed-retry.ts): the same task, never a second run.
        if ("task" in earlier) assertSameRequest(earlier.task, input);
        res.setHeader("Idempotent-Replayed", "true");
        const taskId = "task" in earlier ? earlier.task.task_id : earlier.task_id;
        const position = "task" in earlier ? tasks.status(earlier.task).queue_position : null;
        res.status(202).json({ task_id: taskId, queue_position: position ?? 0, predicted_start_ms: "task" in earlier ? earlier.task.predicted_start_ms : 0, backoff_ms: 0, streams: taskStreamPaths(taskId), preparation: { steps: [] } });
        return;
      }
      if (req.engine !== "llamacpp") throw new OrchError("INVALID_PARAMS", `engine ${req.engine} is not available in this cluster; use llamacpp`, { details: { issues: [{ path: ["engine"], message: "only llamacpp is supported" }] } });
      // The 202 goes out once the task's journal row is committed (group commit per event-loop turn).
      const task = await tasks.admitDurable(input);
      for (const [k, v] of Object.entries(tasks.sessionHeaders(task))) res.setHeader(k, v);
      res.status(202).json({
        task_id: task.task_id,
        queue_position: task.queue_position_at_admission,
        predicted_start_ms: task.predicted_start_ms,
        backoff_ms: 0,
        streams: taskStreamPaths(task.task_id),
        preparation: { steps: [] },
      });
    },

    listTasks: ({ query, res, identity }) => {
      const q = query as TaskListQuery;
      const limit = q.limit ?? 200;
      const everyTask = seesEveryTask(identity);
      const inMemory = tasks.list();
      const list = inMemory
        .filter((t) => (q.state === undefined || t.state === q.state) && (everyTask || mayAccessTask(identity, t.owner)))
        .slice(0, limit)
        .map((t) => tasks.status(t));
      // After a restart (or past the finished tasks kept in memory) the older tasks are the journal's.
      if (list.length < limit) {
        const owner = everyTask ? {} : { owner: identity.credentialId };
        list.push(...tasks.journaledList(limit - list.length, { ...(q.state !== undefined ? { state: q.state } : {}), ...owner, inMemory: new Set(inMemory.map((t) => t.task_id)) }));
      }
      res.json({ tasks: list, queue_depth: { interactive: tasks.queueDepth("interactive"), batch: tasks.queueDepth("batch") } });
    },

    getTask: ({ params, res, identity }) => {
      const id = canonicalUuid(params.id as string);
      assertTaskAccess(identity, id, tasks.ownerOf(id));
      const task = tasks.get(id);
      const status = task ? tasks.status(task) : tasks.journaled(id);
      if (status === null) throw new OrchError("TASK_NOT_FOUND", `no task ${id}`);
      res.json(status);
    },

    streamTaskEvents: ({ params, query, req, res, identity }) => {
      const id = canonicalUuid(params.id as string);
      const verbose = (query as TaskEventsQuery).verbose === "true";
      assertTaskAccess(identity, id, tasks.ownerOf(id));
      // A keyed task that left memory comes back from the stream the journal kept (same event ids).
      const task = tasks.get(id) ?? tasks.revive(id);
      const lastEventId = req.headers["last-event-id"];
      const resume = resumeIndex(typeof lastEventId === "string" ? lastEventId : undefined, task?.events_boot);
      if (task === undefined) {
        // Finished and gone from memory (or ended by a restart): the stream is just its outcome.
        const outcome = tasks.journaledOutcome(id);
        if (outcome === null) throw new OrchError("TASK_NOT_FOUND", `no task ${id}`);
        const sse = openSse(res, {}, watchOptions(ctx.config()));
        sse.write(encodeSseEvent(outcome));
        sse.close();
        return;
      }
      const sse = openSse(res, tasks.sessionHeaders(task), watchOptions(ctx.config()));
      let ended = false;
      let index = -1;
      const unsubscribe = tasks.follow(task, (event) => {
        index++;
        const terminal = event.event === "end" || event.event === "error";
        if (index < resume.from || (resume.skipStarted && event.event === "started")) {
          // Resumed past it (a Last-Event-ID ahead of the stream): the stream still ends with the task.
          if (terminal) {
            ended = true;
            sse.close();
          }
          return;
        }
        const id = eventId(index, task.events_boot);
        // Narration (`human`) is for verbose streams only; a metrics frame that was only narration is dropped.
        if (!verbose && event.event === "metrics" && "human" in event.data) {
          const { human: _human, ...rest } = event.data;
          if (Object.keys(rest).length === 0) return;
          sse.write(encodeSseEvent({ event: "metrics", data: rest }, id));
          return;
        }
        sse.write(encodeSseEvent(event, id));
        if (terminal) {
          ended = true;
          sse.close();
        }
      });
      // Resumed past the terminal event (Last-Event-ID at or after it): nothing more will come.
      if (!ended && tasks.isTerminal(task)) {
        ended = true;
        sse.close();
      }
      req.on("close", () => {
        unsubscribe();
        // A /v2 client that hangs up cancels its task, unless another reader still follows it. Observers
        // never cancel: a compatible surface's task belongs to the connection that created it (its own
        // close cancels), a keyed task waits for its retry, and the dashboard cancels explicitly.
        // Only its owner's (or admin's) hang-up: a read-only key following another key's task is an observer.
        const owned = task.api === "v2" && task.idempotency_key === null && mayCancelTask(identity, task.owner);
        if (!ended && owned && identity.kind === "token" && task.subscribers.size === 0) tasks.cancel(id, "disconnect");
      });
    },

    cancelTask: ({ params, res, identity }) => {
      const id = canonicalUuid(params.id as string);
      // A task only the journal knows (it ended before a restart, or left memory) is finished: 204, as for
      // a finished task in memory, not a 404 for an id that GET /v2/tasks/{id} still answers.
      const owner = tasks.ownerOf(id);
      assertTaskAccess(identity, id, owner);
      if (owner !== undefined && !mayCancelTask(identity, owner)) {
        throw new OrchError("FORBIDDEN_SCOPE", `task ${id} belongs to another credential: only it or an admin credential may cancel it (read lets this one see it)`);
      }
      if (tasks.cancel(id, identity.kind === "session" ? "operator" : "client")) {
        ctx.logger.info({ task_id: id, identity: identity.label }, "task canceled");
      }
      res.status(204).end();
    },
  };
}

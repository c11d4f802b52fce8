#!/usr/bin/env node
// What tracing costs a task while it is off: the calls the task path makes on its trace (start at
// admission, admitted, placed, first token, finished) against the no-op, timed over many tasks and
// compared with an empty loop of the same length in the same run. Reports ns per task; divide by the
// admission bench's time per task for the share of the hot path.
//   npm run build && node bench/tracing-noop.mjs [--tasks 2000000] [--short] [--json]
import { parseArgs } from "node:util";
import { NOOP_SPAN, NOOP_TRACING } from "../dist/src-node/tracing/tracing.js";
import { TaskTrace } from "../dist/src-main/orchestrator/tasks/task-trace.js";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "2000000" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const tasks = values.short ? 200_000 : Number(values.tasks);
const task = { task_id: "t", priority: "interactive", api: "openai-chat", model: { id: "m", sha256: "s" }, attempted_nodes: ["n"] };
const decision = { node_id: "n", pool_id: "p", reasons: [], summary: { considered: 1 } };
const ending = { state: "completed", error: null, tokens_in: 10, tokens_out: 20 };

let sink = 0;
function traced() {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < tasks; i++) {
    const trace = TaskTrace.start(NOOP_TRACING, NOOP_SPAN, task.api);
    trace.admitted(task, 0);
    if (trace.placed(task, decision) !== undefined) sink++;
    trace.firstToken();
    trace.finished(ending);
  }
  return Number(process.hrtime.bigint() - t0) / tasks;
}
function empty() {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < tasks; i++) if (task.api.length === i) sink++;
  return Number(process.hrtime.bigint() - t0) / tasks;
}
traced();
empty(); // warm-up
const rows = [0, 1, 2].map(() => ({ traced_ns: traced(), empty_ns: empty() }));
const median = (xs) => [...xs].sort((a, b) => a - b)[1];
const result = { bench: "tracing-noop", tasks, traced_ns_per_task: Number(median(rows.map((r) => r.traced_ns)).toFixed(1)), empty_ns_per_task: Number(median(rows.map((r) => r.empty_ns)).toFixed(1)), sink };
if (values.json) console.log(JSON.stringify(result));
else console.log(`tracing off: ${result.traced_ns_per_task} ns per task on the trace calls (empty loop ${result.empty_ns_per_task} ns)`);

#!/usr/bin/env node
// What the finished-task history costs on the heap: 1,923 finished tasks of 100 tokens (the 200,000 events
// FINISHED_EVENTS_KEPT allows, at the streaming bench's task size), kept as one object per event or packed
// (tasks/task-event-log.ts), and the time of a full GC with it in the heap.
//   npm run build && node --expose-gc bench/task-history-memory.mjs [--objects]
import { TaskEventLog } from "../dist/src-main/orchestrator/tasks/task-event-log.js";

if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
const packed = !process.argv.includes("--objects");
const TASKS = 1923;
const TOKENS = 100;
const gc = () => {
  globalThis.gc();
  globalThis.gc();
};
const logs = [];
gc();
const before = process.memoryUsage().heapUsed;
for (let k = 0; k < TASKS; k++) {
  const log = new TaskEventLog();
  log.push({ event: "started", data: { queue_position: 0, predicted_start_ms: 0 } });
  log.push({ event: "metrics", data: { queue_depth: 0, node_id: "stream-1", pool_id: "stream-1-p0", phase: "dispatched", attempt: 1, human: "placed on stream-1/stream-1-p0" } });
  for (let i = 0; i < TOKENS; i++) {
    const parsed = JSON.parse(`{"t":" tok${i % 10}","i":${i}}`); // a fresh string per token, as parsed from the worker's frame
    log.push({ event: "token", data: { t: parsed.t, i } });
  }
  log.push({ event: "end", data: { tokens_out: TOKENS, decode_ms: 1000, decode_time_ms: 1000 } });
  if (packed) log.pack();
  logs.push(log);
}
gc();
const grown = process.memoryUsage().heapUsed - before;
const t0 = performance.now();
for (let r = 0; r < 10; r++) globalThis.gc();
const events = TASKS * (TOKENS + 3);
console.log(`${packed ? "packed" : "one object per event"}: ${TASKS} tasks, ${events} events: heap +${(grown / 1048576).toFixed(1)} MiB (${Math.round(grown / events)} B/event); full GC ${((performance.now() - t0) / 10).toFixed(1)} ms (${logs.length} logs live)`);

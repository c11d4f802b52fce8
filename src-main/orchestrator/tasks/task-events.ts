import { isTerminalSseEvent, type SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { Task } from "./task.js";

/**
 * Appends an event to a task's stream, enforcing the SSE contract centrally: `started` first,
 * nothing after a terminal event, no token after cancel. Returns false when the event was refused.
 */
export function emitTaskEvent(task: Task, event: SseEvent): boolean {
  const last = task.events.last();
  if (last !== undefined && isTerminalSseEvent(last)) return false;
  if (task.events.length === 0 && event.event !== "started") return false;
  if (event.event === "started" && task.events.length > 0) return false;
  if (event.event === "token" && task.cancel_requested) return false;
  task.events.push(event);
  for (const subscriber of task.subscribers) subscriber(event);
  if (isTerminalSseEvent(event)) task.subscribers.clear();
  return true;
}

export function hasTerminalEvent(task: Task): boolean {
  const last = task.events.last();
  return last !== undefined && isTerminalSseEvent(last);
}

/** Subscribes to a task's events: replays what happened so far, then follows live. Returns the unsubscribe. */
export function followTask(task: Task, onEvent: (event: SseEvent) => void): () => void {
  for (const event of task.events) onEvent(event);
  if (hasTerminalEvent(task)) return () => {};
  task.subscribers.add(onEvent);
  return () => task.subscribers.delete(onEvent);
}

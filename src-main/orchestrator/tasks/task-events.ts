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
  if (event.event === "token" && !task.tokens_delivered) noteDelivery(task);
  for (const subscriber of task.subscribers) subscriber(event);
  if (isTerminalSseEvent(event)) {
    task.subscribers.clear();
    task.rewinders.clear();
  }
  return true;
}

/** A token goes out: if any subscriber delivers rather than buffers, it cannot be taken back. */
function noteDelivery(task: Task): void {
  for (const subscriber of task.subscribers) {
    if (!task.rewinders.has(subscriber)) {
      task.tokens_delivered = true;
      return;
    }
  }
}

export function hasTerminalEvent(task: Task): boolean {
  const last = task.events.last();
  return last !== undefined && isTerminalSseEvent(last);
}

/**
 * Whether a running task's output so far can still be discarded: no subscriber that delivers tokens
 * (an open SSE/NDJSON stream) has received one. Buffering subscribers (a non-streamed answer) are told
 * to start over by `rewindTask`.
 */
export function outputRetractable(task: Task): boolean {
  return !task.tokens_delivered && !hasTerminalEvent(task);
}

/**
 * Discards a task's output: its events from the first token on, its token count, and what buffering
 * subscribers collected. Returns how many tokens were discarded.
 */
export function rewindTask(task: Task): number {
  const discarded = task.tokens_out;
  task.events.truncateAtFirstToken();
  task.tokens_out = 0;
  task.first_token_at_ms = null;
  task.tokens_in = null;
  task.stop_reason = null;
  for (const rewind of task.rewinders.values()) rewind();
  return discarded;
}

/**
 * Subscribes to a task's events: replays what happened so far, then follows live. Returns the unsubscribe.
 * `onRewind` marks a subscriber that only buffers the output until the terminal event: a rescue
 * calls it to discard what it collected. A subscriber without it delivers each token as it comes.
 */
export function followTask(task: Task, onEvent: (event: SseEvent) => void, onRewind?: () => void): () => void {
  if (onRewind === undefined && !task.tokens_delivered && !hasTerminalEvent(task)) {
    for (const event of task.events) {
      if (event.event === "token") {
        task.tokens_delivered = true;
        break;
      }
    }
  }
  for (const event of task.events) onEvent(event);
  if (hasTerminalEvent(task)) return () => {};
  task.subscribers.add(onEvent);
  if (onRewind !== undefined) task.rewinders.set(onEvent, onRewind);
  return () => {
    task.subscribers.delete(onEvent);
    task.rewinders.delete(onEvent);
  };
}

import { readSseEvents } from "../src-shared/streaming/read-sse.js";
import type { SseEvent } from "../src-shared/streaming/sse-events.js";

export interface TimedEvent {
  at: number;
  event: SseEvent;
}

export interface TaskStream {
  /** Resolves with every event once the terminal event arrived (or the stream broke). */
  done: Promise<TimedEvent[]>;
  events: TimedEvent[];
  /** Resolves when `n` token events have arrived. */
  tokens(n: number): Promise<void>;
  abort(): void;
}

/** Follows GET /v2/tasks/{id}/events, validating every frame against the contract. */
export function followTaskEvents(url: string, token: string, taskId: string, verbose = false): TaskStream {
  const controller = new AbortController();
  const events: TimedEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const tokenCount = () => events.filter((e) => e.event.event === "token").length;
  const done = (async () => {
    const res = await fetch(`${url}/v2/tasks/${taskId}/events${verbose ? "?verbose=true" : ""}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
    try {
      for await (const event of readSseEvents(res.body)) {
        events.push({ at: performance.now(), event });
        for (const w of waiters.filter((w) => tokenCount() >= w.n)) w.resolve();
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    return events;
  })();
  return {
    done,
    events,
    tokens: (n) => (tokenCount() >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    abort: () => controller.abort(),
  };
}

export function terminal(events: TimedEvent[]): SseEvent | undefined {
  return events.map((e) => e.event).find((e) => e.event === "end" || e.event === "error");
}

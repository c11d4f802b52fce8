import { randomBytes } from "node:crypto";

/**
 * Ids of task stream events: `<boot>.<index>`. The boot part changes with every orchestrator start,
 * so a client resuming with a Last-Event-ID from before a restart is recognised: the task's stream
 * starts over (it was queued again), and the client gets all of it except the second `started`.
 */
export const BOOT_ID = randomBytes(4).toString("hex");

export function eventId(index: number): string {
  return `${BOOT_ID}.${index}`;
}

/** Where to resume a stream for a Last-Event-ID: the index of the first event to send. */
export function resumeIndex(lastEventId: string | undefined): { from: number; skipStarted: boolean } {
  if (lastEventId === undefined) return { from: 0, skipStarted: false };
  // Any index a safe integer holds: a larger one than the stream has means "after its end", not garbage.
  const match = /^([0-9a-f]{8})\.(\d{1,15})$/.exec(lastEventId.trim());
  if (match === null) return { from: 0, skipStarted: false };
  if (match[1] !== BOOT_ID) return { from: 0, skipStarted: true };
  return { from: Number(match[2]) + 1, skipStarted: false };
}

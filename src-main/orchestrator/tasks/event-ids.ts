import { randomBytes } from "node:crypto";

/**
 * Ids of task stream events: `<boot>.<index>`. The boot part changes with every orchestrator start,
 * so a client resuming with a Last-Event-ID from before a restart is recognised: the task's stream
 * starts over (it was queued again), and the client gets all of it except the second `started`.
 */
export const BOOT_ID = randomBytes(4).toString("hex");

/** `boot`: the boot a revived task's events were emitted under (Task.events_boot); this run's by default. */
export function eventId(index: number, boot: string = BOOT_ID): string {
  return `${boot}.${index}`;
}

/**
 * Where to resume a stream for a Last-Event-ID: the index of the first event to send. `boot` is the boot
 * of the stream's ids (a revived task's own; this run's by default).
 */
export function resumeIndex(lastEventId: string | undefined, boot: string = BOOT_ID): { from: number; skipStarted: boolean } {
  if (lastEventId === undefined) return { from: 0, skipStarted: false };
  // Any index a safe integer holds: a larger one than the stream has means "after its end", not garbage.
  const match = /^([0-9a-f]{8})\.(\d{1,15})$/.exec(lastEventId.trim());
  if (match === null) return { from: 0, skipStarted: false };
  if (match[1] !== boot) return { from: 0, skipStarted: true };
  return { from: Number(match[2]) + 1, skipStarted: false };
}

import type { DestinationStream } from "pino";
import type { LogEntry } from "../../../src-shared/dashboard/cluster-events.js";

const LEVELS: Record<number, LogEntry["level"]> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const OMITTED = new Set(["level", "time", "msg", "component", "name", "pid", "hostname"]);

/**
 * The last N log lines in memory for the dashboard's Logs view, fed as a pino destination beside
 * stdout. Lines are already redacted by the logger; listeners get each new entry.
 */
export class LogRing implements DestinationStream {
  private readonly entries: LogEntry[] = [];
  private seq = 0;
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  constructor(private readonly capacity = 5000) {}

  write(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parsed)) if (!OMITTED.has(k)) fields[k] = v;
    this.push({
      at_ms: typeof parsed.time === "string" ? Date.parse(parsed.time) : Date.now(),
      level: LEVELS[Number(parsed.level)] ?? "info",
      source: typeof parsed.component === "string" ? parsed.component : "orchestrator",
      message: typeof parsed.msg === "string" ? parsed.msg : "",
      ...(typeof parsed.code === "string" ? { code: parsed.code } : {}),
      fields,
    });
  }

  push(entry: Omit<LogEntry, "seq">): void {
    const full: LogEntry = { ...entry, seq: this.seq++ };
    this.entries.push(full);
    if (this.entries.length > this.capacity) this.entries.shift();
    for (const listener of this.listeners) listener(full);
  }

  recent(limit: number, minLevel?: LogEntry["level"]): LogEntry[] {
    const order = ["trace", "debug", "info", "warn", "error", "fatal"];
    const min = minLevel ? order.indexOf(minLevel) : 0;
    return this.entries.filter((e) => order.indexOf(e.level) >= min).slice(-limit);
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

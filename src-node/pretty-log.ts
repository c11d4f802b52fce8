import { Writable } from "node:stream";

// Readable one-line logs for a person at a terminal: "12:00:01.234 INFO  orchestrator  message key=value".
// pino writes JSON lines; this destination reformats them (no transport thread, no dependency).
// Pipes and log collectors get the JSON lines unchanged (--log-format json, or stdout not a TTY).

export type LogFormat = "json" | "pretty";

const LEVELS: Record<number, [string, string]> = {
  10: ["TRACE", "\x1b[90m"],
  20: ["DEBUG", "\x1b[36m"],
  30: ["INFO ", "\x1b[32m"],
  40: ["WARN ", "\x1b[33m"],
  50: ["ERROR", "\x1b[31m"],
  60: ["FATAL", "\x1b[41m"],
};
const NAMED: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";
/** Fields every line has or that the line already shows. */
const SKIP = new Set(["level", "time", "msg", "pid", "hostname", "name", "component", "service"]);

/** `--log-format` wins; otherwise pretty exactly when stdout is a terminal. */
export function chooseLogFormat(flag: string | undefined, isTty: boolean): LogFormat {
  if (flag === "json" || flag === "pretty") return flag;
  if (flag !== undefined) throw new Error(`--log-format: expected json or pretty, got "${flag}"`);
  return isTty ? "pretty" : "json";
}

function value(v: unknown): string {
  if (typeof v === "string") return /\s|=|"/.test(v) ? JSON.stringify(v) : v;
  if (v !== null && typeof v === "object" && "message" in v && typeof v.message === "string") return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line → one readable line (lines that are not JSON objects pass through). */
export function formatLogLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const levelNum = typeof entry.level === "number" ? entry.level : (NAMED[String(entry.level)] ?? 30);
  const [label, tint] = LEVELS[levelNum] ?? ["INFO ", ""];
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const source = String(entry.component ?? entry.service ?? entry.name ?? "");
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(" ");
  const msg = String(entry.msg ?? "");
  if (!color) return `${time} ${label} ${source}  ${msg}${fields ? `  ${fields}` : ""}`;
  return `${DIM}${time}${RESET} ${tint}${label}${RESET} ${DIM}${source}${RESET}  ${msg}${fields ? `  ${DIM}${fields}${RESET}` : ""}`;
}

/** A pino destination that prints readable lines to `out` (stdout by default). */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout, color = !process.env.NO_COLOR): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") out.write(`${formatLogLine(line, color)}\n`);
      cb();
    },
  });
}

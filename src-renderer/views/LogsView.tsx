import { useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useStore } from "zustand";
import type { LogEntry } from "../../src-shared/dashboard/cluster-events.js";
import { stores, ui } from "../app-context.js";
import { useVirtualRows } from "../components/use-virtual-rows.js";
import { Button, CopyButton, EmptyState, Panel } from "../components/ui.js";
import { formatTime } from "../lib/format.js";
import { filterLogs } from "../stores/logs-store.js";
import { desktop, ipc } from "../lib/desktop.js";
import v from "./views.module.css";

const ROW = 28;
type MinLevel = "debug" | "info" | "warn" | "error";

function describe(e: LogEntry): string {
  const fields = e.fields && Object.keys(e.fields).length > 0 ? ` ${JSON.stringify(e.fields)}` : "";
  return `${new Date(e.at_ms).toISOString()} ${e.level.toUpperCase()} [${e.source}] ${e.code ? `${e.code} ` : ""}${e.message}${fields}`;
}

export function LogsView() {
  const entries = useStore(stores.logs, (st) => st.entries);
  const [level, setLevel] = useState<MinLevel>("info");
  const [text, setText] = useState("");
  const deferredText = useDeferredValue(text);
  const [follow, setFollow] = useState(true);
  const rows = useMemo(() => filterLogs(entries, level, deferredText), [entries, level, deferredText]);
  const { ref, start, end, padTop, totalHeight } = useVirtualRows(rows.length, ROW);
  const programmatic = useRef(false);

  // Follow the tail: stay pinned to the bottom as lines arrive, unless the operator scrolled up.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el === null || !follow) return;
    programmatic.current = true;
    el.scrollTop = el.scrollHeight;
  }, [rows, follow, ref]);

  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const onScroll = () => {
      if (programmatic.current) {
        programmatic.current = false;
        return;
      }
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW;
      setFollow(atBottom);
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, [ref]);

  const visibleText = useMemo(() => rows.slice(-500).map(describe).join("\n"), [rows]);

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <label htmlFor="log-level" className={v.muted}>
          Level
        </label>
        <select id="log-level" value={level} onChange={(e) => setLevel(e.target.value as MinLevel)}>
          <option value="debug">debug and above</option>
          <option value="info">info and above</option>
          <option value="warn">warnings and errors</option>
          <option value="error">errors only</option>
        </select>
        <input type="search" placeholder="Filter text, source or code" aria-label="Filter logs" value={text} onChange={(e) => setText(e.target.value)} data-shortcut-focus />
        <span className={v.muted} data-testid="log-count">
          {rows.length.toLocaleString("en-US")} of {entries.length.toLocaleString("en-US")} lines
        </span>
        <span className={v.grow} />
        <CopyButton text={visibleText} label="Copy last 500" size="normal" />
        {desktop() !== null && (
          <Button
            onClick={() => {
              const shell = desktop();
              if (shell)
                void ipc(shell.revealLogs()).then((r) => {
                  if (!r.ok) ui.getState().push({ kind: "error", title: "Could not open the log folder", message: r.message, code: r.code });
                });
            }}
          >
            Open log folder
          </Button>
        )}
        <Button variant={follow ? "primary" : "default"} onClick={() => setFollow((f) => !f)} aria-pressed={follow}>
          {follow ? "Following tail" : "Follow tail"}
        </Button>
      </div>
      <div className={v.fill}>
        <Panel flush>
          <div className={v.logScroller} ref={ref} role="log" aria-label="Orchestrator log" tabIndex={0} data-testid="log-list">
            {rows.length === 0 ? (
              <EmptyState title={entries.length === 0 ? "No log lines yet" : "No line matches the filter"} />
            ) : (
              <div style={{ height: totalHeight, paddingTop: padTop }}>
                {rows.slice(start, end).map((e) => (
                  <div key={e.seq} className={v.logRow} style={{ height: ROW }} title={describe(e)}>
                    <span className={v.faint}>{formatTime(e.at_ms, true)}</span>
                    <span className={v[`lvl-${e.level}`]}>{e.level.toUpperCase()}</span>
                    <span className={v.muted}>{e.source}</span>
                    <span>{e.message}</span>
                    <span className={v.faint}>{e.code ?? (e.fields ? Object.entries(e.fields).slice(0, 2).map(([k, val]) => `${k}=${typeof val === "object" ? JSON.stringify(val) : String(val)}`).join(" ") : "")}</span>
                  </div>
                ))}
              </div>
            )}
          </div>
        </Panel>
      </div>
    </div>
  );
}

import { useCallback, useEffect, useMemo, useState } from "react";
import { useStore } from "zustand";
import { selftestMarkdown, selftestPassed, selftestRows } from "../../src-shared/selftest/selftest-markdown.js";
import type { SelftestRequestInput, SelftestRun } from "../../src-shared/selftest/selftest.js";
import { api, reportError, stores } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { Badge, Button, EmptyState, KeyValues, LoadFailed, Panel } from "../components/ui.js";
import { formatDateTime } from "../lib/format.js";
import v from "./views.module.css";

const POLL_MS = 500;

/** Saves text as a file in the browser's downloads (the report stays with the operator). */
function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function RunState({ run }: { run: SelftestRun }) {
  if (run.state === "running") return <Badge tone="info" dot>running</Badge>;
  if (run.state === "completed") return selftestPassed(run) ? <Badge tone="ok" dot>passed</Badge> : <Badge tone="warn" dot>not passed</Badge>;
  return <Badge tone={run.state === "canceled" ? "idle" : "bad"}>{run.state}</Badge>;
}

/**
 * Self-test: measures this cluster (router overhead, queue fairness and, only with the operator's
 * consent for one named node, failure detection), shows progress live and exports the report.
 */
export function SelftestView() {
  const byId = useStore(stores.nodes, (st) => st.byId);
  const online = useMemo(() => Object.values(byId).filter((n) => n.status === "Online").map((n) => n.node_id).sort(), [byId]);
  const [run, setRun] = useState<SelftestRun | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [startError, setStartError] = useState<ApiError | null>(null);
  const [samples, setSamples] = useState(20);
  const [perLane, setPerLane] = useState(6);
  const [consent, setConsent] = useState(false);
  const [stopNode, setStopNode] = useState("");
  const [hangMs, setHangMs] = useState(4000);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const res = await api.selftests();
      setRun(res.runs[0] ?? null);
      setLoadError(null);
    } catch (err) {
      setLoadError(toApiError(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  // Live progress: poll the running run until it ends.
  const runningId = run?.state === "running" ? run.id : null;
  useEffect(() => {
    if (runningId === null) return;
    const timer = setInterval(() => {
      api.selftest(runningId).then(setRun, (err: unknown) => setLoadError(toApiError(err)));
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [runningId]);

  const chosenNode = stopNode !== "" && online.includes(stopNode) ? stopNode : "";
  const start = async () => {
    setBusy(true);
    setStartError(null);
    const request: SelftestRequestInput = { samples, fairness_tasks: perLane, ...(consent && chosenNode !== "" ? { stop_node: chosenNode, hang_ms: hangMs } : {}) };
    try {
      setRun(await api.startSelftest(request));
    } catch (err) {
      const e = toApiError(err);
      setStartError(e);
      reportError("The self-test did not start", e);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    if (run === null) return;
    setBusy(true);
    try {
      setRun(await api.cancelSelftest(run.id));
    } catch (err) {
      reportError("Cancel failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const rows = run?.report ? selftestRows(run.report) : [];
  return (
    <div className={v.page}>
      <Panel title="Run a self-test" subtitle="Bounded: a few dozen small completions on the smallest ready model; one run at a time.">
        <form
          className={v.form}
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <label htmlFor="st-samples">Overhead samples</label>
          <input id="st-samples" type="number" min={4} max={200} value={samples} onChange={(e) => setSamples(Number(e.target.value))} />
          <span className={v.fieldHelp}>Completions per path: straight to a worker, and through the orchestrator (interleaved).</span>
          <label htmlFor="st-lane">Fairness tasks</label>
          <input id="st-lane" type="number" min={2} max={20} value={perLane} onChange={(e) => setPerLane(Number(e.target.value))} />
          <span className={v.fieldHelp}>Per priority lane, queued behind tasks that fill every slot of the pool.</span>
          <label htmlFor="st-consent">Failure detection</label>
          <label className={v.check}>
            <input id="st-consent" type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} data-testid="selftest-consent" />I consent to make one node hang
          </label>
          <span className={v.fieldHelp}>
            Its agent stops answering (no heartbeats) for the time below, then carries on; requests on it wait meanwhile. Without this, no node is touched and detection is skipped.
          </span>
          <label htmlFor="st-node">Node to hang</label>
          <select id="st-node" value={chosenNode} disabled={!consent} onChange={(e) => setStopNode(e.target.value)}>
            <option value="">choose an Online node</option>
            {online.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
          <span className={v.fieldHelp}>Only this node is touched.</span>
          <label htmlFor="st-hang">Hang for (ms)</label>
          <input id="st-hang" type="number" min={1000} max={10000} step={500} value={hangMs} disabled={!consent} onChange={(e) => setHangMs(Number(e.target.value))} />
          <span className={v.fieldHelp}>1,000–10,000 ms; past the heartbeat timeout the node also shows Offline and re-registers.</span>
          <div className={v.formActions}>
            <Button type="submit" variant="primary" disabled={busy || runningId !== null || (consent && chosenNode === "")}>
              Start self-test
            </Button>
            {consent && chosenNode === "" && <span className={v.fieldError}>Choose the node you consent to hang.</span>}
          </div>
          {startError !== null && (
            <span className={v.fieldError} role="alert" data-testid="selftest-error">
              <code>{startError.code}</code> {startError.message}
            </span>
          )}
        </form>
      </Panel>
      {loadError !== null ? (
        <LoadFailed title="Could not load the self-test runs" error={loadError} onRetry={() => void load()} />
      ) : run === null ? (
        <EmptyState title="No self-test yet">Start one above; the report stays here until the orchestrator restarts, and you can export it.</EmptyState>
      ) : (
        <Panel
          title={
            <span className={v.inline}>
              Run {run.id} <RunState run={run} />
            </span>
          }
          subtitle={`started ${formatDateTime(run.started_at_ms)} by ${run.started_by}`}
          actions={
            <span className={v.inline}>
              {run.state === "running" && (
                <Button size="small" variant="danger" onClick={() => void cancel()} disabled={busy}>
                  Cancel
                </Button>
              )}
              <Button size="small" disabled={run.report === null} onClick={() => download(`${run.id}.json`, "application/json", `${JSON.stringify(run, null, 2)}\n`)}>
                Export JSON
              </Button>
              <Button size="small" disabled={run.report === null} onClick={() => download(`${run.id}.md`, "text/markdown", selftestMarkdown(run))}>
                Export Markdown
              </Button>
            </span>
          }
        >
          <div className={v.sectionGap} data-testid="selftest-run" data-state={run.state}>
            {run.state === "running" && (
              <div className={v.stack}>
                <progress className={v.progress} max={Math.max(1, run.total)} value={run.done} aria-label="Self-test progress" />
                <span className={v.muted} data-testid="selftest-progress">
                  {run.done}/{run.total} · {run.phase}: {run.message}
                </span>
              </div>
            )}
            {run.state !== "running" && run.report === null && <KeyValues items={[["Outcome", run.message]]} />}
            {rows.length > 0 && (
              <table className={v.candidates} data-testid="selftest-report">
                <thead>
                  <tr>
                    <th>Section</th>
                    <th>Measure</th>
                    <th>Value</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(([section, measure, value]) => (
                    <tr key={`${section}|${measure}`}>
                      <td>{section}</td>
                      <td>{measure}</td>
                      <td className={v.mono}>{value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </Panel>
      )}
    </div>
  );
}

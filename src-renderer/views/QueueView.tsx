import { useEffect, useMemo, useState } from "react";
import { useStore } from "zustand";
import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import { api, reportError, reportSuccess, stores, useNow } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { PlacementExplanation } from "../components/PlacementExplanation.js";
import { VirtualTable, type Column } from "../components/VirtualTable.js";
import { Badge, Button, ConfirmDialog, Dialog, EmptyState, Panel } from "../components/ui.js";
import { clip, clipTitle, formatDuration, formatRate, shortId, formatTime } from "../lib/format.js";
import { href, navigate } from "../lib/router.js";
import { predictedStartInMs, taskRate } from "../lib/predict.js";
import { TASK_STATE } from "../lib/status.js";
import { boardOrder, isActive } from "../stores/tasks-store.js";
import v from "./views.module.css";

function modelLabel(t: TaskStatus): string {
  return t.model_ref.startsWith("sha256:") ? `${t.model_ref.slice(0, 19)}…` : clip(t.model_ref, 60);
}

export function QueueView({ focusTaskId }: { focusTaskId: string | null }) {
  const byId = useStore(stores.tasks, (st) => st.byId);
  const offset = useStore(stores.nodes, (st) => st.clockOffsetMs);
  const capacity = useStore(stores.meta, (st) => st.settings?.admission_capacity ?? null);
  const now = useNow();
  const serverNow = now - offset;
  const [cancelTarget, setCancelTarget] = useState<TaskStatus | null>(null);
  const [busy, setBusy] = useState(false);

  const { active, finished } = useMemo(() => {
    const all = Object.values(byId);
    return {
      active: all.filter(isActive).sort(boardOrder),
      finished: all.filter((t) => !isActive(t)).sort(boardOrder).slice(0, 50),
    };
  }, [byId]);
  const listedRunning = active.filter((t) => t.state !== "queued").length;
  const listedQueued = active.length - listedRunning;
  // The counts are the orchestrator's (the stats frame, every second): the board lists the front of a deep
  // queue only (the snapshot's first 500, and the feed budgets position updates), so counting rows undercounts.
  const latest = useStore(stores.stats, (st) => st.latest);
  const depth = latest?.queue_depth ?? listedQueued;
  const running = latest?.running ?? listedRunning;
  const live = focusTaskId !== null ? (byId[focusTaskId] ?? null) : null;
  // The feed's task frames carry the placement's top candidates only (one verdict per pool would be
  // ~130 KB a frame at 1,000 nodes): the open dialog asks for the full explanation, again when the task moves.
  const [full, setFull] = useState<TaskStatus | null>(null);
  useEffect(() => {
    setFull(null);
    if (focusTaskId === null) return;
    const controller = new AbortController();
    api.task(focusTaskId, controller.signal).then(setFull, () => undefined);
    return () => controller.abort();
  }, [focusTaskId, live?.node_id, live?.attempts]);
  const explained = live !== null && full?.task_id === live.task_id ? { ...live, placement: full.placement } : live;

  const cancel = async () => {
    if (cancelTarget === null) return;
    setBusy(true);
    try {
      await api.cancelTask(cancelTarget.task_id);
      reportSuccess(`Task ${shortId(cancelTarget.task_id)} canceled`);
      setCancelTarget(null);
    } catch (err) {
      reportError("Cancel failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const columns: Column<TaskStatus>[] = [
    {
      id: "task",
      header: "Task",
      width: "80px",
      render: (t) => (
        <span className={v.mono} title={t.task_id}>
          {shortId(t.task_id)}
        </span>
      ),
    },
    {
      id: "state",
      header: "State",
      width: "100px",
      render: (t) => (
        <Badge tone={TASK_STATE[t.state].tone} dot>
          {TASK_STATE[t.state].words}
        </Badge>
      ),
    },
    { id: "model", header: "Model", width: "minmax(110px, 1fr)", render: (t) => <bdi title={clipTitle(t.model_ref)}>{modelLabel(t)}</bdi> },
    { id: "prio", header: "Priority", width: "76px", render: (t) => <span className={t.priority === "interactive" ? undefined : v.muted}>{t.priority}</span> },
    {
      id: "node",
      header: "Node",
      width: "72px",
      render: (t) => (t.node_id !== null ? <a href={href("nodes", t.node_id)}>{t.node_id}</a> : <span className={v.faint}>—</span>),
    },
    { id: "pos", header: "Pos.", width: "44px", align: "right", render: (t) => (t.queue_position !== null ? `#${t.queue_position + 1}` : "—") },
    {
      id: "waited",
      header: "Waited",
      width: "64px",
      align: "right",
      render: (t) => formatDuration(t.state === "queued" ? serverNow - t.timings.enqueued_at_ms : t.timings.queue_wait_ms),
    },
    {
      id: "predicted",
      header: "Starts",
      width: "96px",
      align: "right",
      render: (t) => {
        if (t.state !== "queued") return <span className={v.faint}>started</span>;
        if (t.predicted_start_ms !== undefined && t.predicted_start_ms !== null) {
          return <span title="The orchestrator's estimate: work queued ahead at the model's measured tokens/s">≈ in {formatDuration(t.predicted_start_ms)}</span>;
        }
        const ms = predictedStartInMs(t, active, serverNow);
        return ms === null ? <span className={v.faint} title="No running task of this model to estimate from yet">after a slot</span> : <span title="Estimated from the running tasks' decode rates">≈ in {formatDuration(ms)}</span>;
      },
    },
    {
      id: "tokens",
      header: "Tokens",
      width: "100px",
      align: "right",
      render: (t) => {
        const rate = taskRate(t, serverNow);
        return (
          <div className={v.stack}>
            <span>
              {t.tokens_out.toLocaleString("en-US")} <span className={v.faint}>/ {t.max_tokens.toLocaleString("en-US")}</span>
            </span>
            <span className={`${v.faint} ${v.small}`}>{rate !== null ? `${formatRate(rate, 0)} tok/s` : "\u00a0"}</span>
          </div>
        );
      },
    },
    {
      id: "actions",
      header: <span className="visually-hidden">Actions</span>,
      width: "120px",
      align: "right",
      render: (t) => (
        <span className={v.inline}>
          <Button size="small" variant="ghost" onClick={() => navigate("queue", t.task_id)} aria-label={`Why was task ${shortId(t.task_id)} placed there?`}>
            Why?
          </Button>
          <Button size="small" variant="danger" onClick={() => setCancelTarget(t)} aria-label={`Cancel task ${shortId(t.task_id)}`}>
            Cancel
          </Button>
        </span>
      ),
    },
  ];

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <Badge tone={depth > 0 ? "warn" : "idle"} dot>
          <span data-testid="queue-depth">{depth.toLocaleString("en-US")}</span> queued{capacity !== null ? ` of ${capacity.toLocaleString("en-US")}` : ""}
        </Badge>
        <Badge tone={running > 0 ? "info" : "idle"} dot>
          <span data-testid="queue-running">{running.toLocaleString("en-US")}</span> running
        </Badge>
        {listedQueued < depth && (
          <span className={v.faint} data-testid="queue-listed">
            Listing {listedQueued.toLocaleString("en-US")} of {depth.toLocaleString("en-US")} queued
          </span>
        )}
        <span className={v.faint}>Live: updates as tasks are admitted, placed, stream tokens and finish.</span>
      </div>
      <div className={v.fill}>
        <Panel title="Active tasks" subtitle="running first, then the queue in order" flush>
          <VirtualTable
            label="Active tasks"
            testId="queue-board"
            rows={active}
            rowKey={(t) => t.task_id}
            columns={columns}
            rowHeight={44}
            selectedKey={focusTaskId}
            empty={<EmptyState title="The queue is empty">Tasks appear here the moment they are admitted.</EmptyState>}
          />
        </Panel>
      </div>
      <Panel title="Recently finished" subtitle={`last ${finished.length}`} flush>
        {finished.length === 0 ? (
          <EmptyState title="No finished tasks yet" />
        ) : (
          <ul className={v.list}>
            {finished.slice(0, 8).map((t) => (
              <li key={t.task_id} className={v.listItem}>
                <span className={v.mono}>{shortId(t.task_id)}</span>
                <Badge tone={TASK_STATE[t.state].tone}>{TASK_STATE[t.state].words}</Badge>
                {t.error !== null && <code className={v.small}>{t.error.code}</code>}
                <span className={v.grow}>
                  {modelLabel(t)} {t.node_id !== null ? `on ${t.node_id}` : ""} · {t.tokens_out} tokens
                  {t.timings.first_token_ms !== null ? ` · first token ${formatDuration(t.timings.first_token_ms)}` : ""}
                </span>
                <span className={`${v.faint} ${v.small}`}>{t.timings.finished_at_ms !== null ? formatTime(t.timings.finished_at_ms + offset) : ""}</span>
                <Button size="small" variant="ghost" onClick={() => navigate("queue", t.task_id)}>
                  Why here?
                </Button>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <ConfirmDialog
        open={cancelTarget !== null}
        title={`Cancel task ${cancelTarget ? shortId(cancelTarget.task_id) : ""}?`}
        body={cancelTarget?.state === "queued" ? "It leaves the queue and never starts. Its client receives an end event marked canceled." : "Generation stops at once; the client keeps the tokens it already received."}
        confirmLabel="Cancel task"
        danger
        busy={busy}
        onConfirm={() => void cancel()}
        onCancel={() => setCancelTarget(null)}
      />
      <Dialog
        open={focusTaskId !== null}
        onClose={() => navigate("queue")}
        wide
        title={`Placement of task ${focusTaskId !== null ? shortId(focusTaskId) : ""}`}
        footer={<Button onClick={() => navigate("queue")}>Close</Button>}
      >
        {explained === null ? <EmptyState title="This task is not in the recent list" /> : <PlacementExplanation task={explained} />}
      </Dialog>
    </div>
  );
}

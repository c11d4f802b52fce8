import { useEffect, useRef, useState } from "react";
import { useStore } from "zustand";
import { api, reportError, stores } from "../app-context.js";
import { streamChat, type ChatMessageInput } from "../api/chat-stream.js";
import { toApiError } from "../api/errors.js";
import { Badge, Button, EmptyState, Panel, Spinner } from "../components/ui.js";
import { clip, clipTitle, formatDuration, formatRate, shortId } from "../lib/format.js";
import { href } from "../lib/router.js";
import v from "./views.module.css";

interface Turn extends ChatMessageInput {
  id: number;
  taskId?: string;
  meta?: string;
}

interface Run {
  startedAt: number;
  taskId: string | null;
  node: string | null;
  pool: string | null;
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  tokens: number;
  state: "waiting" | "streaming" | "done" | "stopped" | "failed";
  errorCode: string | null;
}

let turnId = 1;

export function PlaygroundView() {
  const [models, setModels] = useState<string[] | null>(null);
  const [model, setModel] = useState("");
  const [pinNode, setPinNode] = useState("");
  const onlineNodes = useStore(stores.nodes, (st) => st.ids.filter((id) => st.byId[id]?.status === "Online").join(","));
  const [maxTokens, setMaxTokens] = useState(256);
  const [temperature, setTemperature] = useState(0.7);
  const [input, setInput] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [run, setRun] = useState<Run | null>(null);
  const controller = useRef<AbortController | null>(null);
  const transcript = useRef<HTMLDivElement>(null);
  const modelKey = useStore(stores.nodes, (st) => Object.values(st.byId).flatMap((n) => n.models.map((m) => m.sha256)).sort().join(","));
  const liveTask = useStore(stores.tasks, (st) => (run?.taskId ? st.byId[run.taskId] : undefined));

  // The model list follows the cluster: refetched when the set of models on nodes changes (pushed), not polled.
  useEffect(() => {
    let cancelled = false;
    api
      .models()
      .then((list) => {
        if (cancelled) return;
        const ids = list.data.map((m) => m.id).sort();
        setModels(ids);
        // Operator aliases are listed too; the first pick is a model's own id.
        const first = list.data.map((m) => (m.alias_of === undefined ? m.id : null)).filter((id): id is string => id !== null).sort()[0];
        setModel((current) => (ids.includes(current) ? current : (first ?? ids[0] ?? "")));
      })
      .catch((err: unknown) => {
        if (!cancelled) {
          setModels([]);
          reportError("Could not list models", toApiError(err));
        }
      });
    return () => {
      cancelled = true;
    };
  }, [modelKey]);

  useEffect(() => {
    const el = transcript.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns]);

  useEffect(() => () => controller.current?.abort(), []);

  const streaming = run !== null && (run.state === "waiting" || run.state === "streaming");

  const stop = () => {
    const taskId = run?.taskId ?? null;
    controller.current?.abort();
    controller.current = null;
    setRun((r) => (r ? { ...r, state: "stopped" } : r));
    // Closing the stream cancels too; cancelling by id makes the engine stop at once either way.
    if (taskId !== null) api.cancelTask(taskId).catch((err: unknown) => {
      const e = toApiError(err);
      if (e.code !== "TASK_NOT_FOUND") reportError("Cancel failed", e);
    });
  };

  const send = () => {
    const text = input.trim();
    if (text === "" || model === "" || streaming) return;
    const user: Turn = { id: turnId++, role: "user", content: text };
    const assistant: Turn = { id: turnId++, role: "assistant", content: "" };
    const history = [...turns, user];
    setTurns([...history, assistant]);
    setInput("");
    const startedAt = performance.now();
    setRun({ startedAt, taskId: null, node: null, pool: null, firstTokenAt: null, lastTokenAt: null, tokens: 0, state: "waiting", errorCode: null });
    controller.current = streamChat(
      { model, messages: history.map(({ role, content }) => ({ role, content })), max_tokens: maxTokens, temperature },
      {
        onTaskId(taskId) {
          setRun((r) => (r ? { ...r, taskId } : r));
          setTurns((ts) => ts.map((t) => (t.id === assistant.id ? { ...t, taskId } : t)));
          api
            .task(taskId)
            .then((status) => setRun((r) => (r && r.taskId === taskId ? { ...r, node: status.node_id, pool: status.pool_id } : r)))
            .catch(() => undefined);
        },
        onToken(tokenText) {
          const at = performance.now();
          setRun((r) => (r ? { ...r, state: r.state === "stopped" ? r.state : "streaming", firstTokenAt: r.firstTokenAt ?? at, lastTokenAt: at, tokens: r.tokens + 1 } : r));
          setTurns((ts) => ts.map((t) => (t.id === assistant.id ? { ...t, content: t.content + tokenText } : t)));
        },
        onDone({ finishReason }) {
          setRun((r) => (r ? { ...r, state: r.state === "stopped" || finishReason === "canceled" ? "stopped" : "done" } : r));
          setTurns((ts) => ts.map((t) => (t.id === assistant.id ? { ...t, meta: finishReason === "length" ? "stopped at max tokens" : finishReason === "canceled" ? "stopped" : undefined } : t)));
          controller.current = null;
        },
        onError(err) {
          setRun((r) => (r ? { ...r, state: "failed", errorCode: err.code } : r));
          setTurns((ts) => ts.map((t) => (t.id === assistant.id ? { ...t, meta: `failed: ${err.code}` } : t)));
          reportError("The completion failed", err);
          controller.current = null;
        },
      },
      undefined,
      pinNode === "" ? null : pinNode,
    );
  };

  useEffect(() => {
    if (!streaming) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !document.querySelector("dialog[open]")) stop();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const node = run?.node ?? liveTask?.node_id ?? null;
  const firstToken = run?.firstTokenAt != null ? run.firstTokenAt - run.startedAt : null;
  const decodeSeconds = run?.firstTokenAt != null && run.lastTokenAt != null ? (run.lastTokenAt - run.firstTokenAt) / 1000 : 0;
  const rate = run !== null && decodeSeconds > 0.05 && run.tokens > 1 ? (run.tokens - 1) / decodeSeconds : null;

  return (
    <div className={v.chat}>
      <div className={v.chatSide}>
        <Panel title="Model">
          {models === null ? (
            <Spinner label="Loading models" />
          ) : models.length === 0 ? (
            <EmptyState title="No model is servable">Add a worker with models first.</EmptyState>
          ) : (
            <div className={v.sectionGap}>
              <div className={v.sideField}>
                <label htmlFor="pg-model">Model</label>
                <select id="pg-model" value={model} onChange={(e) => setModel(e.target.value)} disabled={streaming}>
                  {models.map((m) => (
                    <option key={m} value={m} title={m.length > 60 ? clipTitle(m) : undefined}>
                      {clip(m, 60)}
                    </option>
                  ))}
                </select>
              </div>
              <div className={v.sideField}>
                <label htmlFor="pg-node">Node</label>
                <select id="pg-node" value={pinNode} onChange={(e) => setPinNode(e.target.value)} disabled={streaming} title="Pin the chat to one node (no fallback)">
                  <option value="">any node (automatic)</option>
                  {onlineNodes.split(",").filter((id) => id !== "").map((id) => (
                    <option key={id} value={id}>
                      {id}
                    </option>
                  ))}
                </select>
              </div>
              <div className={v.sideField}>
                <label htmlFor="pg-max">Max tokens</label>
                <input id="pg-max" type="number" min={1} max={32768} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Number(e.target.value) || 1))} disabled={streaming} />
              </div>
              <div className={v.sideField}>
                <label htmlFor="pg-temp">Temperature</label>
                <input id="pg-temp" type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Math.min(2, Math.max(0, Number(e.target.value))))} disabled={streaming} />
              </div>
              <Button onClick={() => setTurns([])} disabled={streaming || turns.length === 0}>
                Clear conversation
              </Button>
            </div>
          )}
        </Panel>
        <p className={`${v.faint} ${v.small}`}>
          Uses <code>POST /v1/chat/completions</code> with <code>stream: true</code>, the same API your clients use. <kbd>Ctrl</kbd> <kbd>Enter</kbd> sends, <kbd>Esc</kbd> stops.
        </p>
      </div>
      <div className={v.chatMain}>
        <Panel flush className={v.fill}>
          <div className={v.metrics}>
            <div className={v.metric}>
              <span className={v.metricLabel}>Node</span>
              <span className={v.metricValue} data-testid="pg-node">
                {node !== null ? <a href={href("nodes", node)}>{node}</a> : "—"}
                {run?.pool ? <span className={v.faint}> / {run.pool}</span> : null}
              </span>
            </div>
            <div className={v.metric}>
              <span className={v.metricLabel}>First token</span>
              <span className={v.metricValue} data-testid="pg-first-token">
                {firstToken !== null ? formatDuration(firstToken) : "—"}
              </span>
            </div>
            <div className={v.metric}>
              <span className={v.metricLabel}>Tokens/s</span>
              <span className={v.metricValue} data-testid="pg-rate">
                {rate !== null ? formatRate(rate) : "—"}
              </span>
            </div>
            <div className={v.metric}>
              <span className={v.metricLabel}>Status</span>
              <span className={v.metricValue} data-testid="pg-state">
                {run === null ? (
                  "idle"
                ) : (
                  <Badge tone={run.state === "failed" ? "bad" : run.state === "done" ? "ok" : run.state === "stopped" ? "idle" : "info"} dot>
                    {run.state === "waiting" ? "waiting for first token" : run.state}
                    {run.state !== "waiting" ? ` · ${run.tokens} tok` : ""}
                  </Badge>
                )}
              </span>
            </div>
          </div>
          <div className={v.transcript} ref={transcript} aria-live="polite" data-testid="pg-transcript">
            {turns.length === 0 && <EmptyState title="Say something">Pick a model and send a message; tokens stream in as the node generates them.</EmptyState>}
            {turns.map((t) => (
              <div key={t.id} className={`${v.msg} ${t.role === "user" ? v.msgUser : v.msgAssistant}`} data-role={t.role}>
                {t.content || (t.role === "assistant" && streaming ? "…" : "")}
                {t.role === "assistant" && (t.meta || t.taskId) && (
                  <div className={v.msgMeta}>
                    {t.taskId ? (
                      <a href={href("queue", t.taskId)} title="Placement explanation">
                        task {shortId(t.taskId)}
                      </a>
                    ) : null}
                    {t.meta ? ` · ${t.meta}` : ""}
                  </div>
                )}
              </div>
            ))}
          </div>
          <div className={v.composer}>
            <textarea
              aria-label="Message"
              placeholder="Message the model…"
              value={input}
              onChange={(e) => setInput(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  send();
                }
              }}
              data-shortcut-focus
            />
            {streaming ? (
              <Button variant="dangerSolid" onClick={stop}>
                Stop
              </Button>
            ) : (
              <Button variant="primary" onClick={send} disabled={input.trim() === "" || model === ""}>
                Send
              </Button>
            )}
          </div>
        </Panel>
      </div>
    </div>
  );
}

import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useStore } from "zustand";
import type { NodeDetail, NodeEvent } from "../../src-shared/dashboard/cluster-events.js";
import { api, stores, useNow } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { DrainButton } from "../components/DrainButton.js";
import { Badge, Button, Clip, EmptyState, KeyValues, Loading, Meter, Panel } from "../components/ui.js";
import { clip, formatAge, formatBytes, formatDateTime, formatRate, shortSha } from "../lib/format.js";
import { href } from "../lib/router.js";
import { ELIGIBILITY, NODE_STATUS, POOL_STATE, desiredOf, poolState } from "../lib/status.js";
import { PoolDesiredBadge } from "../components/PoolDesiredBadge.js";
import { heartbeatAgeMs } from "../stores/nodes-store.js";
import v from "./views.module.css";

const EVENT_TONE: Record<NodeEvent["kind"], "ok" | "warn" | "bad" | "info" | "idle"> = {
  registered: "info",
  online: "ok",
  recovered: "ok",
  suspect: "warn",
  offline: "bad",
  deregistered: "idle",
  drained: "idle",
  undrained: "info",
  pool: "info",
  refused: "bad",
  forgotten: "idle",
  model_quarantined: "bad",
};

export function NodeDetailView({ nodeId }: { nodeId: string }) {
  const node = useStore(stores.nodes, (st) => st.byId[nodeId]);
  const liveEvents = useStore(stores.nodes, (st) => st.liveEvents[nodeId]);
  const offset = useStore(stores.nodes, (st) => st.clockOffsetMs);
  const now = useNow();
  const [detail, setDetail] = useState<NodeDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [drained, setDrained] = useState<boolean | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    api
      .nodeDetail(nodeId, controller.signal)
      .then((d) => {
        setDetail(d);
        setDrained(d.eligibility === "ineligible");
      })
      .catch((err: unknown) => {
        const e = toApiError(err);
        if (e.code !== "ABORTED") setError(e);
      });
    return () => controller.abort();
  }, [nodeId, attempt]);

  const events = useMemo(() => {
    const base = detail?.events ?? [];
    const lastAt = base.at(-1)?.at_ms ?? -1;
    const extra = (liveEvents ?? []).filter((e) => e.at_ms > lastAt || !base.some((b) => b.at_ms === e.at_ms && b.kind === e.kind));
    return [...base, ...extra].sort((a, b) => b.at_ms - a.at_ms);
  }, [detail, liveEvents]);

  useEffect(() => {
    const last = liveEvents?.at(-1);
    if (last?.kind === "drained") setDrained(true);
    if (last?.kind === "undrained") setDrained(false);
  }, [liveEvents]);

  if (node === undefined) {
    if (error !== null) {
      return (
        <Panel title={`Node ${nodeId}`}>
          <EmptyState title={error.code === "NODE_NOT_FOUND" ? "This node is not registered" : "Could not load the node"}>
            <span>
              <code>{error.code}</code> {error.message}
            </span>
            <a href={href("nodes")}>Back to nodes</a>
          </EmptyState>
        </Panel>
      );
    }
    return detail === null ? <Loading what={`node ${nodeId}`} /> : <EmptyState title="This node has left the cluster" />;
  }

  const status = NODE_STATUS[node.status];
  const isDrained = drained ?? node.eligibility === "ineligible";
  const modelName = (sha: string) => node.models.find((m) => m.sha256 === sha)?.name ?? shortSha(sha);

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <a href={href("nodes")}>← All nodes</a>
        <Badge tone={status.tone} dot>
          <span data-testid="node-detail-status">{status.words}</span>
        </Badge>
        {node.eligibility === "ineligible" && (
          <Badge tone={ELIGIBILITY.ineligible.tone} title="Ineligible for new placements (operator drain)">
            <span data-testid="node-detail-eligibility">{ELIGIBILITY.ineligible.words}</span>
          </Badge>
        )}
        <span className={v.muted}>heartbeat {formatAge(heartbeatAgeMs(node, now, offset))}</span>
        <span className={v.grow} />
        {node.status !== "Offline" && <DrainButton nodeId={nodeId} drained={isDrained} size="normal" onDone={setDrained} />}
      </div>
      <div className={v.twoWide}>
        <div className={v.sectionGap}>
          <Panel title="Pools" subtitle={`${node.pools.length} pools`} flush>
            {node.pools.length === 0 ? (
              <EmptyState title="No pools reported yet" />
            ) : (
              <table className={v.candidates}>
                <thead>
                  <tr>
                    <th>Pool</th>
                    <th>Model</th>
                    <th>State</th>
                    <th>Slots</th>
                    <th>Tokens/s</th>
                    <th>Device</th>
                  </tr>
                </thead>
                <tbody>
                  {node.pools.map((p) => {
                    const st = POOL_STATE[poolState(p, node)];
                    return (
                      <tr key={p.pool_id}>
                        <td className={`${v.mono} ${v.nowrap}`}>{p.pool_id}</td>
                        <td className={v.wrapCell}>{p.model !== undefined ? <Clip text={p.model.name} /> : "—"}</td>
                        <td>
                          <span className={v.inline}>
                            <Badge tone={st.tone} dot>
                              {st.words}
                            </Badge>
                            <PoolDesiredBadge desired={desiredOf(p, node)} />
                          </span>
                        </td>
                        <td>
                          {p.slots_total - p.slots_free} / {p.slots_total}
                        </td>
                        <td>{formatRate(p.tokens_per_second)}</td>
                        <td className={v.muted}>
                          <Clip text={p.device_mask ?? p.engine} max={24} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </Panel>
          <Panel title="Model inventory" subtitle={`${node.models.length} GGUF files`} flush>
            {node.models.length === 0 ? (
              <EmptyState title="No models on this node" />
            ) : (
              <table className={v.candidates}>
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Size</th>
                    <th>Arch</th>
                    <th>Quant</th>
                    <th>Context</th>
                    <th>sha256</th>
                  </tr>
                </thead>
                <tbody>
                  {node.models.map((m) => (
                    <tr key={m.sha256}>
                      <td className={v.wrapCell}>
                        <div className={v.stack}>
                          <Clip text={m.name} />
                          <span className={`${v.faint} ${v.small}`}>
                            <Clip text={m.file_name} />
                          </span>
                        </div>
                      </td>
                      <td>{formatBytes(m.size_bytes)}</td>
                      <td>{m.architecture !== undefined ? <Clip text={m.architecture} max={24} /> : "—"}</td>
                      <td>{m.quantization !== undefined ? <Clip text={m.quantization} max={24} /> : "—"}</td>
                      <td>{m.context_length?.toLocaleString("en-US") ?? "—"}</td>
                      <td className={v.mono} title={m.sha256}>
                        {shortSha(m.sha256)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Panel>
        </div>
        <div className={v.sectionGap}>
          <Panel title="Facts">
            <KeyValues
              items={[
                ["Address", <code key="a" className={v.wrapCell}><Clip text={node.address} max={200} /></code>],
                ["Machine", <Clip key="m" text={node.machine_id} />],
                ["Version", node.version !== null ? <Clip key="v" text={node.version} /> : "—"],
                ["Backend", node.capabilities.backend ?? "—"],
                ["CPU cores", node.capabilities.cpu_cores ?? "—"],
                ["RAM", formatBytes(node.capabilities.ram_total_bytes ?? null)],
                ["Registered", formatDateTime(node.registered_at_ms)],
                ["Drained", isDrained ? "yes — no new tasks" : "no"],
                ...node.capabilities.gpus.map((g): [string, ReactNode] => [
                  `GPU ${g.device_id}`,
                  <div key={g.device_id} className={v.stack}>
                    <span>
                      <Clip text={g.name} /> · {g.vram_free_bytes !== undefined ? `${formatBytes(g.vram_total_bytes - g.vram_free_bytes)} used of ` : ""}
                      {formatBytes(g.vram_total_bytes)}
                    </span>
                    <Meter value={g.vram_free_bytes !== undefined ? g.vram_total_bytes - g.vram_free_bytes : 0} max={g.vram_total_bytes} label={`VRAM on GPU ${g.device_id}`} />
                  </div>,
                ]),
              ]}
            />
          </Panel>
          <Panel title="Event history" subtitle="newest first" flush actions={error !== null ? <Button size="small" onClick={() => setAttempt((a) => a + 1)}>Retry</Button> : undefined}>
            {error !== null && (
              <div className={v.listItem}>
                <Badge tone="bad">{error.code}</Badge> <span className={v.grow}>{error.message}</span>
              </div>
            )}
            {detail === null && error === null ? (
              <Loading what="events" />
            ) : (
              <ul className={v.list} data-testid="node-events">
                {events.slice(0, 100).map((e, i) => (
                  <li key={`${e.at_ms}-${e.kind}-${i}`} className={v.listItem}>
                    <Badge tone={EVENT_TONE[e.kind]}>{e.kind}</Badge>
                    <span className={v.wrapText}>{e.message}</span>
                    <span className={`${v.faint} ${v.small}`}>{formatDateTime(e.at_ms)}</span>
                  </li>
                ))}
                {events.length === 0 && <EmptyState title="No events recorded" />}
              </ul>
            )}
          </Panel>
        </div>
      </div>
      <span className={v.faint}>Models present on this node: {node.pools.flatMap((p) => p.models_available).filter((x, i, a) => a.indexOf(x) === i).map((sha) => clip(modelName(sha))).join(", ") || "—"}</span>
    </div>
  );
}

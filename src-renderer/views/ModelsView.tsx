import { useMemo, useState } from "react";
import { useStore } from "zustand";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { stores } from "../app-context.js";
import { Badge, Button, CodeBlock, CopyButton, EmptyState, KeyValues, Panel, Tabs } from "../components/ui.js";
import { modelExamples } from "../lib/examples.js";
import { formatBytes, formatCount } from "../lib/format.js";
import { href } from "../lib/router.js";
import { clusterModels, replication, type ClusterModel } from "../lib/models.js";
import v from "./views.module.css";

/** Wide clusters: the matrix shows this many node columns (filter to see others). */
const MAX_NODE_COLUMNS = 40;

const EXAMPLE_LABEL = { curl: "Shell — curl", python: "Python — pip install openai", javascript: "JavaScript — npm install openai" } as const;

const REPLICATION = {
  replicated: { tone: "ok", words: "Replicated" },
  single: { tone: "warn", words: "Single node — SPOF" },
  unavailable: { tone: "bad", words: "No live copy" },
} as const;

function Details({ model, publicUrl }: { model: ClusterModel; publicUrl: string }) {
  const [tab, setTab] = useState<"curl" | "python" | "javascript">("curl");
  const ex = modelExamples(publicUrl || window.location.origin, model.entry.name);
  const e = model.entry;
  return (
    <div className={v.twoWide} data-testid="model-details">
      <Panel title={e.name} subtitle="model details">
        <KeyValues
          items={[
            [
              "sha256",
              <span key="sha" className={v.inline}>
                <code className={v.small}>{model.sha256}</code>
                <CopyButton text={model.sha256} />
              </span>,
            ],
            ["Size", formatBytes(e.size_bytes)],
            ["Architecture", e.architecture ?? "—"],
            ["Context length", e.context_length !== undefined ? formatCount(e.context_length) : "—"],
            ["Quantization", e.quantization ?? "—"],
            ["Parameters", e.parameter_count !== undefined ? formatCount(e.parameter_count) : "—"],
            ["Chat template", e.has_chat_template ? "yes" : "no (raw completion)"],
            ["Files", model.fileNames.join(", ")],
            [
              "Held by",
              <span key="held">
                {model.allNodes.map((n, i) => (
                  <span key={n}>
                    {i > 0 && ", "}
                    <a href={href("nodes", n)}>{n}</a>
                    {model.presence[n] === "offline" ? " (offline)" : ""}
                  </span>
                ))}
              </span>,
            ],
          ]}
        />
      </Panel>
      <Panel title="Use it" subtitle="OpenAI-compatible API">
        <Tabs
          label="Client examples"
          value={tab}
          onChange={setTab}
          tabs={[
            { id: "curl", label: "curl" },
            { id: "python", label: "Python (openai)" },
            { id: "javascript", label: "JavaScript (openai)" },
          ]}
        />
        <CodeBlock code={ex[tab]} label={EXAMPLE_LABEL[tab]} />
        <p className={`${v.faint} ${v.small}`}>Use an API key from Settings as LLORCH_API_TOKEN.</p>
      </Panel>
    </div>
  );
}

export function ModelsView() {
  const ids = useStore(stores.nodes, (st) => st.ids);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const publicUrl = useStore(stores.meta, (st) => st.publicUrl);
  const [selected, setSelected] = useState<string | null>(null);
  const [nodeFilter, setNodeFilter] = useState("");
  const nodes = useMemo(() => ids.map((id) => byId[id]).filter((n): n is NodeInfo => n !== undefined), [ids, byId]);
  const models = useMemo(() => clusterModels(nodes), [nodes]);
  const columns = useMemo(() => {
    const needle = nodeFilter.trim().toLowerCase();
    return nodes.filter((n) => needle === "" || n.node_id.toLowerCase().includes(needle)).slice(0, MAX_NODE_COLUMNS);
  }, [nodes, nodeFilter]);
  const current = models.find((m) => m.sha256 === selected) ?? models[0] ?? null;
  const single = models.filter((m) => replication(m) === "single").length;

  if (models.length === 0) {
    return (
      <Panel title="Models">
        <EmptyState title="No models reported">Models appear as soon as a worker with GGUF files in its models folder registers.</EmptyState>
      </Panel>
    );
  }

  return (
    <div className={v.page}>
      <div className={v.toolbar}>
        <span className={v.muted}>
          {models.length} models on {nodes.length} nodes ·{" "}
          {single > 0 ? <span className={v.warnText}>{single} on a single node (single point of failure)</span> : "every live model is replicated"}
        </span>
        <span className={v.grow} />
        {nodes.length > MAX_NODE_COLUMNS && (
          <input type="search" placeholder="Filter node columns" aria-label="Filter node columns" value={nodeFilter} onChange={(e) => setNodeFilter(e.target.value)} />
        )}
      </div>
      <Panel title="Availability" subtitle="models × nodes" flush>
        <div className={v.matrixWrap}>
          <table className={v.matrix} data-testid="models-matrix" aria-label="Model availability by node">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Replicas</th>
                {columns.map((n) => (
                  <th key={n.node_id} scope="col" data-node-col={n.node_id}>
                    {n.node_id}
                    {n.status === "Offline" ? " (offline)" : ""}
                  </th>
                ))}
                <th scope="col">Stage to…</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const rep = REPLICATION[replication(m)];
                return (
                  <tr key={m.sha256} aria-selected={current?.sha256 === m.sha256} onClick={() => setSelected(m.sha256)} data-model={m.entry.name}>
                    <th scope="row">
                      <button type="button" className={v.rowButton} onClick={() => setSelected(m.sha256)}>
                        {m.entry.name}
                      </button>
                      <div className={`${v.faint} ${v.small}`}>
                        {formatBytes(m.entry.size_bytes)} · {m.entry.quantization ?? m.entry.architecture ?? "gguf"}
                      </div>
                    </th>
                    <td>
                      <Badge tone={rep.tone}>{rep.words}</Badge>
                    </td>
                    {columns.map((n) => {
                      const p = m.presence[n.node_id] ?? "absent";
                      return (
                        <td key={n.node_id} data-node={n.node_id} data-presence={p} className={p === "present" ? v.present : p === "offline" ? v.stale : v.absent} title={`${m.entry.name} on ${n.node_id}: ${p}`}>
                          {p === "present" ? "✓ present" : p === "offline" ? "✓ node offline" : "— absent"}
                        </td>
                      );
                    })}
                    <td>
                      <span title="One-click staging of a model to other nodes arrives in a later release.">
                        <Button size="small" disabled aria-label={`Stage ${m.entry.name} to other nodes (coming later)`}>
                          Stage to…
                        </Button>
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Panel>
      {current !== null && <Details model={current} publicUrl={publicUrl} />}
    </div>
  );
}

import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useStore } from "zustand";
import type { CatalogModelView } from "../../src-shared/catalog/catalog-view.js";
import { describeModelId } from "../../src-shared/models/model-id.js";
import type { ModelAlias } from "../../src-shared/models/model-alias.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { api, reportError, reportSuccess, stores } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { AddModelPanel } from "../components/AddModelPanel.js";
import { ModelAliases } from "../components/ModelAliases.js";
import { StageDialog, type StageTarget } from "../components/StageDialog.js";
import { StagingCell } from "../components/StagingCell.js";
import { Badge, Button, Clip, CodeBlock, CopyButton, EmptyState, KeyValues, Panel, Tabs } from "../components/ui.js";
import { latestJobs, matrixCell, replicaTarget } from "../lib/staging-cells.js";
import m from "../components/models.module.css";
import { modelExamples } from "../lib/examples.js";
import { clip, formatBytes, formatCount } from "../lib/format.js";
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

function Details({ model, id, view, publicUrl, aliases, onAliasesChanged }: { model: ClusterModel; id: string; view: CatalogModelView | undefined; publicUrl: string; aliases: readonly ModelAlias[]; onAliasesChanged: () => void }) {
  const [tab, setTab] = useState<"curl" | "python" | "javascript">("curl");
  const ex = modelExamples(publicUrl || window.location.origin, id);
  const e = model.entry;
  return (
    <div className={v.twoWide} data-testid="model-details">
      <Panel title={<Clip text={id} max={60} />} subtitle="model details">
        <KeyValues
          items={[
            [
              "Model id",
              <span key="id" data-testid="model-id-rule">
                <code className={v.wrapCell}>
                  <Clip text={id} max={200} />
                </code>{" "}
                <span className={m.idRule}>{view?.id_rule ? describeModelId({ id, ...view.id_rule }) : ""}</span>
              </span>,
            ],
            ["Aliases", <ModelAliases key="aliases" sha256={model.sha256} modelId={id} aliases={aliases} onChanged={onAliasesChanged} />],
            [
              "sha256",
              <span key="sha" className={v.inline}>
                <code className={v.small}>{model.sha256}</code>
                <CopyButton text={model.sha256} />
              </span>,
            ],
            ["Size", formatBytes(e.size_bytes)],
            ["Architecture", e.architecture !== undefined ? <Clip key="arch" text={e.architecture} /> : "—"],
            ["Context length", e.context_length !== undefined ? formatCount(e.context_length) : "—"],
            ["Quantization", e.quantization !== undefined ? <Clip key="quant" text={e.quantization} /> : "—"],
            ["Parameters", e.parameter_count !== undefined ? formatCount(e.parameter_count) : "—"],
            ["Chat template", e.has_chat_template ? "yes" : "no (raw completion)"],
            ["Files", <span key="files" className={v.wrapCell}>{model.fileNames.map((f) => clip(f)).join(", ")}</span>],
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

function storeOnlyModel(view: CatalogModelView): ClusterModel {
  const sha256 = view.sha256 ?? "";
  const fileName = view.names.find((n) => n.endsWith(".gguf")) ?? `${sha256.slice(0, 12)}.gguf`;
  const entry = { sha256, name: view.name ?? fileName, file_name: fileName, size_bytes: view.size_bytes ?? 0, has_chat_template: view.gguf?.has_chat_template ?? false, ...(view.gguf?.architecture ? { architecture: view.gguf.architecture } : {}) };
  return { sha256, entry, presence: {}, liveNodes: [], allNodes: [], fileNames: [fileName] };
}

/** Models × nodes: verified copies live from node inventories, staging jobs live from the event feed. */
export function ModelsView() {
  const ids = useStore(stores.nodes, (st) => st.ids);
  const byId = useStore(stores.nodes, (st) => st.byId);
  const jobsById = useStore(stores.staging, (st) => st.byId);
  const rates = useStore(stores.staging, (st) => st.rates);
  const publicUrl = useStore(stores.meta, (st) => st.publicUrl);
  const [selected, setSelected] = useState<string | null>(null);
  const [nodeFilter, setNodeFilter] = useState("");
  const [staging, setStaging] = useState<StageTarget | null>(null);
  const [views, setViews] = useState<CatalogModelView[]>([]);
  const [catalogVersion, setCatalogVersion] = useState(0);
  const [aliases, setAliases] = useState<ModelAlias[]>([]);
  const [aliasVersion, setAliasVersion] = useState(0);
  const nodes = useMemo(() => ids.map((id) => byId[id]).filter((n): n is NodeInfo => n !== undefined), [ids, byId]);
  const onNodes = useMemo(() => clusterModels(nodes), [nodes]);
  // Models only the orchestrator's store holds (imported, pulled, used in place) are rows too: stage them from there.
  const models = useMemo(() => [...onNodes, ...views.filter((x) => x.in_store && x.sha256 !== null && !onNodes.some((n) => n.sha256 === x.sha256)).map(storeOnlyModel)], [onNodes, views]);
  const latest = useMemo(() => latestJobs(Object.values(jobsById)), [jobsById]);
  const modelKey = models.map((x) => `${x.sha256}:${x.allNodes.join("+")}`).join(",");
  const finishedJobs = Object.values(jobsById).filter((j) => j.finished_at_ms !== null).length;

  // Names, id rules and partial copies come from the catalog; refetched when inventories or jobs settle.
  useEffect(() => {
    let cancelled = false;
    api.catalogModels().then((r) => !cancelled && setViews(r.models)).catch((err: unknown) => !cancelled && reportError("Could not load the catalog", toApiError(err)));
    return () => {
      cancelled = true;
    };
  }, [modelKey, finishedJobs, catalogVersion]);
  // Operator aliases: refetched after each change made here and when the models change (their state follows).
  useEffect(() => {
    let cancelled = false;
    api.modelAliases().then((r) => !cancelled && setAliases(r.aliases)).catch((err: unknown) => !cancelled && reportError("Could not load model aliases", toApiError(err)));
    return () => {
      cancelled = true;
    };
  }, [modelKey, aliasVersion]);
  useEffect(() => {
    api.stagingJobs().then((r) => stores.staging.getState().reset(r.jobs)).catch((err: unknown) => reportError("Could not load staging jobs", toApiError(err)));
  }, []);

  const columns = useMemo(() => {
    const needle = nodeFilter.trim().toLowerCase();
    return nodes.filter((n) => needle === "" || n.node_id.toLowerCase().includes(needle)).slice(0, MAX_NODE_COLUMNS);
  }, [nodes, nodeFilter]);
  const viewOf = (sha: string) => views.find((x) => x.sha256 === sha);
  const aliasesOf = (sha: string) => aliases.filter((a) => a.sha256 === sha);
  // Aliases whose model is no row here (never staged, or removed): listed apart so they can be removed.
  const orphanShas = [...new Set(aliases.map((a) => a.sha256))].filter((sha) => !models.some((x) => x.sha256 === sha));
  const idOf = (cm: ClusterModel) => viewOf(cm.sha256)?.name ?? cm.entry.name;
  const current = models.find((x) => x.sha256 === selected) ?? models[0] ?? null;
  const single = models.filter((x) => replication(x) === "single").length;
  const replicate = (cm: ClusterModel) => {
    const target = replicaTarget(nodes, cm.sha256);
    if (target === null) return reportError(`Cannot replicate ${idOf(cm)}`, toApiError(new Error("no other Online, undrained node")));
    api.stageModel(cm.sha256, { nodes: [target] }).then(
      () => reportSuccess(`Replicating ${idOf(cm)}`, `to ${target}`),
      (err: unknown) => reportError(`Could not replicate ${idOf(cm)}`, toApiError(err)),
    );
  };

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
      <Panel title="Availability" subtitle="models × nodes: verified, staging (live), partial, absent" flush>
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
              {models.map((cm) => {
                const rep = REPLICATION[replication(cm)];
                const id = idOf(cm);
                return (
                  <tr key={cm.sha256} aria-selected={current?.sha256 === cm.sha256} onClick={() => setSelected(cm.sha256)} data-model={id}>
                    <th scope="row">
                      <button type="button" className={v.rowButton} onClick={() => setSelected(cm.sha256)}>
                        <Clip text={id} max={60} />
                      </button>
                      <div className={`${v.faint} ${v.small}`}>
                        {viewOf(cm.sha256)?.in_store ? "in the orchestrator's store · " : ""}
                        {formatBytes(cm.entry.size_bytes)} · {clip(cm.entry.quantization ?? cm.entry.architecture ?? "gguf", 24)}
                      </div>
                      {aliasesOf(cm.sha256).length > 0 && (
                        <div className={`${v.faint} ${v.small}`} data-testid="row-aliases">
                          also: {clip(aliasesOf(cm.sha256).map((a) => a.name).join(", "), 60)}
                        </div>
                      )}
                    </th>
                    <td>
                      <Badge tone={rep.tone}>{rep.words}</Badge>
                    </td>
                    {columns.map((n) => {
                      const presence = cm.presence[n.node_id] ?? "absent";
                      const key = `${cm.sha256}/${n.node_id}`;
                      const job = latest.get(key);
                      const cell = matrixCell({ sha256: cm.sha256, nodeId: n.node_id, presence, job, rate: job ? rates[job.job_id] : undefined, view: viewOf(cm.sha256) });
                      return (
                        <td key={n.node_id} data-node={n.node_id} data-presence={presence} data-state={cell.state} className={presence === "present" ? v.present : presence === "offline" ? v.stale : v.absent}>
                          <StagingCell cell={cell} sha256={cm.sha256} modelId={id} nodeId={n.node_id} />
                        </td>
                      );
                    })}
                    <td>
                      <span className={m.actions}>
                        <Button size="small" onClick={(e) => (e.stopPropagation(), setStaging({ sha256: cm.sha256, id }))} aria-label={`Stage ${id} to other nodes`}>
                          Stage to…
                        </Button>
                        {replication(cm) === "single" && (
                          <Button size="small" variant="primary" onClick={(e) => (e.stopPropagation(), replicate(cm))} aria-label={`Replicate ${id}`} title="Copy it to one more node (the least loaded)">
                            Replicate
                          </Button>
                        )}
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Panel>
      {current !== null && <Details model={current} id={idOf(current)} view={viewOf(current.sha256)} publicUrl={publicUrl} aliases={aliasesOf(current.sha256)} onAliasesChanged={() => setAliasVersion((n) => n + 1)} />}
      {orphanShas.length > 0 && (
        <Panel title="Aliases of models no node serves" subtitle="requests through them get a 404 until the model is staged">
          <KeyValues items={orphanShas.map((sha): [string, ReactNode] => [`sha256:${sha.slice(0, 12)}…`, <ModelAliases key={sha} sha256={sha} modelId={`sha256:${sha}`} aliases={aliasesOf(sha)} onChanged={() => setAliasVersion((n) => n + 1)} addable={false} />])} />
        </Panel>
      )}
      <AddModelPanel onAdded={() => setCatalogVersion((n) => n + 1)} nodes={nodes} />
      <StageDialog model={staging} nodes={nodes} onClose={() => setStaging(null)} />
    </div>
  );
}

import { useEffect, useMemo, useState } from "react";
import type { DiscoveredModel } from "../../src-shared/catalog/discovered-model.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { desktop, ipc } from "../lib/desktop.js";
import { formatBytes } from "../lib/format.js";
import { singleFlight } from "../lib/single-flight.js";
import { Button, Panel } from "./ui.js";
import m from "./models.module.css";

const SOURCE = { lmstudio: "LM Studio", ollama: "Ollama", "llama.cpp": "llama.cpp cache", huggingface: "Hugging Face cache" } as const;

async function run(what: string, call: () => Promise<unknown>, done: string, after?: () => void): Promise<void> {
  try {
    await call();
    reportSuccess(done);
    after?.();
  } catch (err) {
    reportError(what, toApiError(err));
  }
}

function isLoopbackUrl(address: string): boolean {
  try {
    const host = new URL(address).hostname;
    return host === "localhost" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/** Polls a hub pull until it ends (pulls are not on the event feed), then reports how it went. */
function followPull(id: string, onAdded: () => void): void {
  const tick = () =>
    void api.pull(id).then(
      (p) => {
        if (p.finished_at_ms === null) return void setTimeout(tick, 500);
        if (p.state === "completed") {
          reportSuccess(`Pulled ${p.ref}`, `verified, sha256 ${p.sha256?.slice(0, 12) ?? ""}…`);
          onAdded();
        } else reportError(`Pull of ${p.ref} ${p.state}`, toApiError(new Error(p.error ?? p.state)));
      },
      (err: unknown) => reportError("Pull status unavailable", toApiError(err)),
    );
  tick();
}

/**
 * "Add model": into the orchestrator's store (then "Stage to…" nodes) from a hub reference or URL, a
 * path on the orchestrator host, an upload, or a folder another tool keeps (used in place). In the
 * desktop app the file dialog goes through the preload bridge into the local worker's folder.
 */
export function AddModelPanel({ onAdded, nodes }: { onAdded: () => void; nodes: readonly NodeInfo[] }) {
  // Workers reached on loopback run on the orchestrator's machine, where discovery looked: they can
  // serve a found file from where it is (no copy into their models dir).
  const localNodes = nodes.filter((n) => n.status === "Online" && isLoopbackUrl(n.address)).map((n) => n.node_id);
  const [ref, setRef] = useState("");
  const [path, setPath] = useState("");
  const [found, setFound] = useState<DiscoveredModel[] | null>(null);
  const shell = desktop();
  // One pull, import or use-in-place at a time: a double click started two downloads of the same file.
  const [busy, setBusy] = useState(false);
  const flight = useMemo(() => singleFlight(setBusy), []);
  const start = (what: string, call: () => Promise<unknown>, done: string, after?: () => void) => void flight(() => run(what, call, done, after));
  const refresh = () => api.discoveredModels().then((r) => setFound(r.models), (err: unknown) => reportError("Discovery failed", toApiError(err)));
  useEffect(() => void refresh(), []);
  return (
    <Panel title="Add model" subtitle="into the orchestrator's store, a source for every node">
      <div className={m.addGrid}>
        <label className={m.cap}>
          Hub reference or URL
          <input value={ref} onChange={(e) => setRef(e.target.value)} placeholder="hf://owner/repo/file.gguf or https://…" aria-label="Hub reference or URL" />
        </label>
        <Button disabled={busy || ref.trim() === ""} onClick={() => start("Pull failed", () => api.pullModel(ref.trim()).then((p) => followPull(p.pull_id, onAdded)), `Pulling ${ref.trim()} (progress: GET /v2/catalog/pulls)`)}>
          Pull
        </Button>
        <label className={m.cap}>
          Path on the orchestrator host
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/models/model.gguf" aria-label="Path on the orchestrator host" />
        </label>
        <Button disabled={busy || path.trim() === ""} onClick={() => start("Import failed", () => api.importModel(path.trim()), `Imported ${path.trim()}`, onAdded)}>
          Import
        </Button>
        <label className={m.cap}>
          Upload a .gguf file
          <input type="file" accept=".gguf" aria-label="Upload a GGUF file" disabled={busy} onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) start("Upload failed", () => api.uploadModel(file, file.name), `Uploaded ${file.name}`, onAdded);
          }} />
        </label>
        {shell !== null && (
          <Button onClick={() => void ipc(shell.chooseModelFile()).then((r) => (r.ok ? r.value.copied && reportSuccess(`Added ${r.value.copied.fileName} to this computer's models folder`) : reportError("Could not add the model", toApiError(new Error(r.message)))))}>
            Choose file…
          </Button>
        )}
      </div>
      <h4 className={m.note}>Found on this machine {found !== null && `(${found.length})`}</h4>
      <ul className={m.found} data-testid="discovered-models">
        {(found ?? []).map((d) => (
          <li key={d.path}>
            <span title={d.path}>
              {SOURCE[d.source]} · <strong>{d.label}</strong> · {formatBytes(d.size_bytes)}
            </span>
            {d.in_store ? (
              <span className={m.faint}>in the store</span>
            ) : (
              <Button size="small" disabled={busy} onClick={() => start("Could not use it", () => api.useDiscovered(d.path), `${d.label} is in the store (not copied)`, () => (onAdded(), void refresh()))} title="Hash it where it is and link it into the store (no copy)">
                Use in place
              </Button>
            )}
            {localNodes.map((nodeId) => (
              <Button key={nodeId} size="small" disabled={busy} onClick={() => start("Could not serve it", () => api.useDiscoveredOnNode(d.path, nodeId), `${nodeId} serves ${d.label} from where it is (not copied); it appears once hashed`, onAdded)} title={`The worker ${nodeId} on this machine serves the file from its folder: no copy`}>
                Serve on {nodeId}
              </Button>
            ))}
          </li>
        ))}
        {found !== null && found.length === 0 && <li className={m.faint}>No LM Studio, Ollama, llama.cpp or Hugging Face model folders found.</li>}
      </ul>
    </Panel>
  );
}

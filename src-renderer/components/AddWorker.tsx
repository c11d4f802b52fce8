import { useState } from "react";
import { useStore } from "zustand";
import { api, reportError, reportSuccess, stores, ui } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { desktop, ipc } from "../lib/desktop.js";
import { workerInstallCommand, workerJoinCommand, workerTarball } from "../lib/examples.js";
import v from "../views/views.module.css";
import { Button, CodeBlock, Spinner } from "./ui.js";

/** How to add a worker: the exact one-line command, with a join token created on demand and shown once. */
export function AddWorker() {
  const publicUrl = useStore(stores.meta, (st) => st.publicUrl);
  const version = useStore(stores.meta, (st) => st.version);
  const [token, setToken] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    try {
      const created = await api.createApiKey("worker join", ["worker"]);
      setToken(created.key);
    } catch (err) {
      reportError("Could not create a join token", toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const shell = desktop();
  const runHere = async () => {
    if (shell === null) return;
    setBusy(true);
    const r = await ipc(shell.localWorker.start());
    setBusy(false);
    if (r.ok) reportSuccess("Local worker starting", `Node ${r.value.nodeId} on ${r.value.modelsDir}; it appears here within seconds.`);
    else ui.getState().push({ kind: "error", title: "Could not start the local worker", message: r.message, code: r.code });
  };
  return (
    <div className={v.onboard} data-testid="add-worker">
      {shell !== null && (
        <div className={v.inline}>
          <Button variant="primary" onClick={() => void runHere()} disabled={busy}>
            Run on this machine
          </Button>
          <span className={v.faint}>Starts a supervised worker on your models folder (or a small demo model when it is empty).</span>
        </div>
      )}
      <ol>
        <li>
          Install the worker on the GPU machine (Node.js 22 or 24; it brings llama.cpp prebuilt for CPU, CUDA and Vulkan): make the package once in a
          llama-orch checkout with <code>npm pack -w worker-agent</code>, copy <code>{workerTarball(version)}</code> over, and install it there with the
          command below. Put your GGUF files in a models folder.
        </li>
        <li>Create a join token below — it is shown once, so copy it now. It is an API key named “worker join”; revoke it in Settings at any time.</li>
        <li>Run the join command on the worker machine. The node appears here within seconds, with its GPUs, pools and models.</li>
      </ol>
      <CodeBlock code={workerInstallCommand(version)} label="Worker install command" wrap />
      {token === null ? (
        <div className={v.inline}>
          <Button variant="primary" onClick={() => void create()} disabled={busy}>
            {busy && <Spinner />}
            Create join token
          </Button>
          <span className={v.faint}>Orchestrator URL: <code>{publicUrl}</code></span>
        </div>
      ) : (
        <>
          <CodeBlock code={workerJoinCommand(publicUrl, token)} label="Worker join command" wrap />
          <span className={v.warnText}>This token is shown only once. Store it in the worker's environment (LLORCH_API_TOKEN) or a token file.</span>
        </>
      )}
      {token === null && <CodeBlock code={workerJoinCommand(publicUrl, "<join token>")} label="Worker join command (template)" wrap />}
    </div>
  );
}

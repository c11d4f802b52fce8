import { useCallback, useEffect, useState } from "react";
import { useStore } from "zustand";
import type { CreatedJoinToken, JoinTokenInfo } from "../../src-shared/auth/join-tokens.js";
import { api, reportError, reportSuccess, stores, ui } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { desktop, ipc } from "../lib/desktop.js";
import { workerInstallCommand, workerJoinCommand, workerTarball } from "../lib/examples.js";
import v from "../views/views.module.css";
import { Button, CodeBlock, Spinner } from "./ui.js";

/**
 * How to add a node: a single-use join token created on demand (POST /v2/auth/join-tokens), shown once
 * inside the exact worker command, and the unspent tokens with a revoke button. The worker exchanges the
 * token for its own key (and, with TLS on, a certificate) and pins the cluster CA it names.
 */
export function AddWorker() {
  const publicUrl = useStore(stores.meta, (st) => st.publicUrl);
  const version = useStore(stores.meta, (st) => st.version);
  const [created, setCreated] = useState<CreatedJoinToken | null>(null);
  const [unspent, setUnspent] = useState<JoinTokenInfo[]>([]);
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setUnspent((await api.joinTokens()).join_tokens);
    } catch {
      // Listing needs admin; the dashboard session is admin, so this only fails when the server is gone.
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const create = async () => {
    setBusy(true);
    try {
      // The address this browser reached the orchestrator at is the best guess of what workers can reach.
      setCreated(await api.createJoinToken({ orchestrator_url: window.location.origin }));
      await refresh();
    } catch (err) {
      reportError("Could not create a join token", toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id: string) => {
    try {
      await api.revokeJoinToken(id);
      if (created?.id === id) setCreated(null);
      reportSuccess("Join token revoked", "It can no longer join a node.");
      await refresh();
    } catch (err) {
      reportError("Could not revoke the join token", toApiError(err));
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
        <li>Create a join token below. It joins one node, once, within 15 minutes, and is shown only now; the worker exchanges it for its own key.</li>
        <li>Run the command on the worker machine. The node appears here within seconds, with its GPUs, pools and models.</li>
      </ol>
      <CodeBlock code={workerInstallCommand(version)} label="Worker install command" wrap />
      {created === null ? (
        <div className={v.inline}>
          <Button variant="primary" onClick={() => void create()} disabled={busy}>
            {busy && <Spinner />}
            Create join token
          </Button>
          <span className={v.faint}>Orchestrator URL: <code>{publicUrl}</code></span>
        </div>
      ) : (
        <>
          <CodeBlock code={workerJoinCommand(created.join)} label="Worker join command" wrap />
          <span className={v.warnText}>
            Shown only once; expires at {new Date(created.expires_at_ms).toLocaleTimeString()}.{created.ca_fingerprint !== null ? " The worker trusts only the cluster CA with this fingerprint." : ""}
          </span>
        </>
      )}
      {created === null && <CodeBlock code={workerJoinCommand(`${publicUrl}#<join token>`)} label="Worker join command (template)" wrap />}
      {unspent.length > 0 && (
        <div data-testid="join-tokens">
          <span className={v.faint}>Unspent join tokens</span>
          <ul>
            {unspent.map((t) => (
              <li key={t.id} data-testid={`join-token-${t.fp6}`}>
                <code>{t.fp6}</code> {t.node_id !== null ? `for ${t.node_id}` : "for any node id"}, expires {new Date(t.expires_at_ms).toLocaleTimeString()}{" "}
                <Button size="small" onClick={() => void revoke(t.id)} aria-label={`Revoke join token ${t.fp6}`}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

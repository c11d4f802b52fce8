import { useCallback, useEffect, useMemo, useState } from "react";
import { DEFAULT_KEY_SCOPES, SCOPES, type Scope } from "../../src-shared/auth/scopes.js";
import type { KeyLimits } from "../../src-shared/auth/key-limits.js";
import type { ApiKeyInfo } from "../../src-shared/dashboard/api-keys.js";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { Badge, Button, ConfirmDialog, LoadFailed, Loading, SecretOnce } from "../components/ui.js";
import { formatCount, formatDateTime } from "../lib/format.js";
import { ApiKeyLimitsDialog, formatKeyLimits } from "./ApiKeyLimitsDialog.js";
import { KeyUsageTable } from "./KeyUsageTable.js";
import v from "./views.module.css";

interface Rotation {
  oldId: string;
  newId: string;
}

/** Settings → API keys: create (with a scope), list with scopes, limits and today's use, set limits, rotate (same scopes and limits) and revoke. */
export function ApiKeys() {
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>(DEFAULT_KEY_SCOPES[0] ?? "inference");
  const [nameError, setNameError] = useState<string | null>(null);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [rotations, setRotations] = useState<Rotation[]>([]);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const [limiting, setLimiting] = useState<ApiKeyInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const res = await api.apiKeys();
      setKeys(res.keys);
      setLoadError(null);
    } catch (err) {
      setLoadError(toApiError(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (keyName: string, scopes: readonly Scope[], limits?: KeyLimits): Promise<string | null> => {
    try {
      const created = await api.createApiKey(keyName, scopes, limits);
      setShown({ name: created.name, key: created.key });
      await load();
      return created.id;
    } catch (err) {
      const e = toApiError(err);
      reportError("Could not create the key", e);
      return null;
    }
  };

  const rotate = async (k: ApiKeyInfo) => {
    setBusy(true);
    const base = k.name.replace(/ \(rotated [^)]*\)$/, "");
    const id = await create(`${base} (rotated ${new Date().toISOString().slice(0, 10)})`, k.scopes, k.limits);
    if (id !== null) setRotations((r) => [...r.filter((x) => x.oldId !== k.id), { oldId: k.id, newId: id }]);
    setBusy(false);
  };

  const revoke = async () => {
    if (revoking === null) return;
    setBusy(true);
    try {
      await api.revokeApiKey(revoking.id);
      reportSuccess(`Key “${revoking.name}” revoked`, "Requests with it now fail with BAD_TOKEN.");
      setRotations((r) => r.filter((x) => x.oldId !== revoking.id && x.newId !== revoking.id));
      setRevoking(null);
      await load();
    } catch (err) {
      reportError("Revoke failed", toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const saveLimits = async (limits: KeyLimits) => {
    if (limiting === null) return;
    setBusy(true);
    try {
      await api.setApiKeyLimits(limiting.id, limits);
      reportSuccess(`Limits of “${limiting.name}” saved`, `${formatKeyLimits(limits)}; from its next request.`);
      setLimiting(null);
      await load();
    } catch (err) {
      reportError("Limits not saved", toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const active = useMemo(() => (keys ?? []).filter((k) => k.revoked_at_ms === null), [keys]);
  const revoked = useMemo(() => (keys ?? []).filter((k) => k.revoked_at_ms !== null).slice(-5), [keys]);
  const nameOf = (id: string) => keys?.find((k) => k.id === id)?.name ?? id;

  return (
    <div className={v.sectionGap}>
      <form
        className={v.toolbar}
        onSubmit={(e) => {
          e.preventDefault();
          const trimmed = name.trim();
          if (trimmed === "") {
            setNameError("Name the key (e.g. who uses it).");
            return;
          }
          setBusy(true);
          void create(trimmed, [scope]).then((id) => {
            setBusy(false);
            if (id !== null) setName("");
          });
        }}
        noValidate
      >
        <input
          type="text"
          aria-label="New key name"
          placeholder="Key name, e.g. ci-runner"
          value={name}
          maxLength={100}
          onChange={(e) => {
            setName(e.target.value);
            setNameError(null);
          }}
          aria-invalid={nameError !== null}
        />
        <select aria-label="New key scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
          {SCOPES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <Button type="submit" variant="primary" disabled={busy}>
          Create key
        </Button>
        {nameError !== null && (
          <span className={v.fieldError} role="alert">
            {nameError}
          </span>
        )}
      </form>
      {shown !== null && (
        <div className={v.sectionGap} data-testid="new-key">
          <span>
            New key <strong>{shown.name}</strong> — copy it now; it is shown only once and stored only as a SHA-256 digest.
          </span>
          <SecretOnce secret={shown.key} label={`API key ${shown.name}`} />
          <div>
            <Button size="small" onClick={() => setShown(null)}>
              I have stored it
            </Button>
          </div>
        </div>
      )}
      {rotations.map((r) => (
        <div key={r.oldId} className={v.listItem} data-testid="rotation">
          <Badge tone="warn" dot>
            Rotating
          </Badge>
          <span className={v.grow}>
            Both “{nameOf(r.oldId)}” and “{nameOf(r.newId)}” work now. Move clients to the new key, then revoke the old one.
          </span>
          <Button
            size="small"
            variant="danger"
            onClick={() => {
              const old = keys?.find((k) => k.id === r.oldId);
              if (old) setRevoking(old);
            }}
          >
            Revoke old key
          </Button>
        </div>
      ))}
      {loadError !== null ? (
        <LoadFailed title="Could not load the keys" error={loadError} onRetry={() => void load()} />
      ) : keys === null ? (
        <Loading what="API keys" />
      ) : (
        <table className={v.candidates} data-testid="api-keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Fingerprint</th>
              <th>Scopes</th>
              <th>Limits</th>
              <th>Today</th>
              <th>Source</th>
              <th>Created</th>
              <th title="Tasks the key has waiting in the queue (when the list was loaded): each key gets its turn round robin, up to admission_max_queued_per_key">Queued</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...active, ...revoked].map((k) => (
              <tr key={k.id} data-key-id={k.id} data-key-name={k.name}>
                <td>{k.name}</td>
                <td className={v.mono}>{k.fp6}</td>
                <td data-testid="key-scopes">{k.scopes.join(", ")}</td>
                <td data-testid="key-limits" className={k.source === "api-key" ? undefined : v.muted}>
                  {formatKeyLimits(k.limits)}
                </td>
                <td data-testid="key-usage" className={v.muted} title="UTC day so far: requests admitted, prompt + generated tokens">
                  {formatCount(k.usage_today.requests)} req · {formatCount(k.usage_today.tokens_in + k.usage_today.tokens_out)} tokens
                </td>
                <td className={v.muted}>{k.source === "api-key" ? "dashboard" : k.source}</td>
                <td className={v.muted}>{formatDateTime(k.created_at_ms)}</td>
                <td data-testid="key-queued">{k.queued_tasks ?? "—"}</td>
                <td>{k.revoked_at_ms === null ? <Badge tone="ok" dot>active</Badge> : <Badge tone="idle">revoked {formatDateTime(k.revoked_at_ms)}</Badge>}</td>
                <td>
                  {k.source === "api-key" && k.revoked_at_ms === null ? (
                    <span className={v.inline}>
                      <Button size="small" onClick={() => void rotate(k)} disabled={busy} aria-label={`Rotate ${k.name}`}>
                        Rotate
                      </Button>
                      <Button size="small" onClick={() => setLimiting(k)} disabled={busy} aria-label={`Limits of ${k.name}`}>
                        Limits
                      </Button>
                      <Button size="small" variant="danger" onClick={() => setRevoking(k)} disabled={busy} aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </Button>
                    </span>
                  ) : k.source !== "api-key" ? (
                    <span className={`${v.faint} ${v.small}`}>change in the configuration</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {keys !== null && (
        <details className={v.sectionGap} data-testid="key-usage">
          <summary>Use per key, last 7 days (UTC)</summary>
          <KeyUsageTable refreshKey={keys.length} />
        </details>
      )}
      <ApiKeyLimitsDialog apiKey={limiting} busy={busy} onSave={(limits) => void saveLimits(limits)} onCancel={() => setLimiting(null)} />
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        body="Every request with this key fails at once with BAD_TOKEN. This cannot be undone."
        confirmLabel="Revoke key"
        danger
        busy={busy}
        onConfirm={() => void revoke()}
        onCancel={() => setRevoking(null)}
      />
    </div>
  );
}

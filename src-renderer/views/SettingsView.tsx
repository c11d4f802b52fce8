import { cloneElement, isValidElement, useCallback, useEffect, useMemo, useState, type ReactElement, type ReactNode } from "react";
import { useStore } from "zustand";
import type { ApiKeyInfo } from "../../src-shared/dashboard/api-keys.js";
import { SettingsUpdateSchema, type Settings, type SettingsUpdate } from "../../src-shared/dashboard/settings.js";
import { api, reportError, reportSuccess, stores } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { Badge, Button, ConfirmDialog, EmptyState, Loading, Panel, SecretOnce, Spinner } from "../components/ui.js";
import { formatDateTime } from "../lib/format.js";
import v from "./views.module.css";

type Editable = "placement_strategy" | "admission_capacity" | "admission_policy" | "session_token_budget";
type Draft = Record<Editable, string>;

function toDraft(s: Settings): Draft {
  return {
    placement_strategy: s.placement_strategy,
    admission_capacity: String(s.admission_capacity),
    admission_policy: s.admission_policy,
    session_token_budget: String(s.session_token_budget),
  };
}

function changes(draft: Draft, s: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (draft.placement_strategy !== s.placement_strategy) out.placement_strategy = draft.placement_strategy;
  if (draft.admission_policy !== s.admission_policy) out.admission_policy = draft.admission_policy;
  if (draft.admission_capacity !== String(s.admission_capacity)) out.admission_capacity = draft.admission_capacity.trim() === "" ? Number.NaN : Number(draft.admission_capacity);
  if (draft.session_token_budget !== String(s.session_token_budget)) out.session_token_budget = draft.session_token_budget.trim() === "" ? Number.NaN : Number(draft.session_token_budget);
  return out;
}

function ClusterSettings() {
  const settings = useStore(stores.meta, (st) => st.settings);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Editable | "form", string>>>({});
  const [saving, setSaving] = useState(false);
  const current = draft ?? (settings ? toDraft(settings) : null);
  if (settings === null || current === null) return <Loading what="settings" />;
  const diff = changes(current, settings);
  const dirty = Object.keys(diff).length > 0;

  const set = (key: Editable, value: string) => {
    setDraft({ ...current, [key]: value });
    setErrors((e) => ({ ...e, [key]: undefined, form: undefined }));
  };

  const save = async () => {
    const parsed = SettingsUpdateSchema.safeParse(diff);
    if (!parsed.success) {
      const next: Partial<Record<Editable | "form", string>> = {};
      for (const issue of parsed.error.issues) next[(issue.path[0] as Editable | undefined) ?? "form"] = issue.message;
      setErrors(next);
      return;
    }
    setSaving(true);
    try {
      stores.meta.getState().applySettings(await api.updateSettings(parsed.data as SettingsUpdate));
      setDraft(null);
      setErrors({});
      reportSuccess("Settings saved", "They apply at once and persist across restarts.");
    } catch (err) {
      const e: ApiError = toApiError(err);
      const next: Partial<Record<Editable | "form", string>> = { form: `${e.code}: ${e.message}` };
      for (const issue of e.extra.issues ?? []) next[(issue.path[0] as Editable | undefined) ?? "form"] = issue.message;
      setErrors(next);
      reportError("Settings not saved", e);
    } finally {
      setSaving(false);
    }
  };

  // A key pinned by env or config file wins over the dashboard (env > config file > dashboard): read-only here.
  const pinOf = (key: Editable) => settings.pinned?.find((p) => p.key === key);
  const field = (key: Editable, label: string, control: ReactNode, help: string) => (
    <>
      <label htmlFor={`set-${key}`}>{label}</label>
      <div className={v.field}>
        {pinOf(key) !== undefined && isValidElement(control) ? cloneElement(control as ReactElement<{ disabled?: boolean }>, { disabled: true }) : control}
        {pinOf(key) !== undefined && (
          <span className={v.fieldHelp} data-testid={`set-${key}-pinned`}>
            Pinned by {pinOf(key)?.source}: read-only here.
          </span>
        )}
        {errors[key] !== undefined && (
          <span className={v.fieldError} id={`set-${key}-error`} role="alert">
            {errors[key]}
          </span>
        )}
      </div>
      <span className={v.fieldHelp}>{help}</span>
    </>
  );

  return (
    <form
      className={v.form}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      noValidate
    >
      <label>Profile</label>
      <div>
        <Badge tone="info">{settings.profile === "home" ? "HOME — one machine" : "CLOUD — many workers"}</Badge>
      </div>
      <span className={v.fieldHelp}>Set when the orchestrator starts (ORCHD_PROFILE).</span>
      <label>Bind address</label>
      <div>
        <code>{settings.bind_addr}</code>
      </div>
      <span className={v.fieldHelp}>Where the API listens; change it in the configuration and restart.</span>
      {field(
        "placement_strategy",
        "Placement strategy",
        <select id="set-placement_strategy" value={current.placement_strategy} onChange={(e) => set("placement_strategy", e.target.value)} aria-invalid={errors.placement_strategy !== undefined}>
          <option value="least-loaded">least-loaded</option>
          <option value="round-robin">round-robin</option>
          <option value="random">random (seeded)</option>
        </select>,
        "How a pool is picked among the eligible ones. least-loaded prefers session affinity and warm models.",
      )}
      {field(
        "admission_capacity",
        "Queue capacity",
        <input
          id="set-admission_capacity"
          type="number"
          inputMode="numeric"
          min={1}
          max={100000}
          value={current.admission_capacity}
          onChange={(e) => set("admission_capacity", e.target.value)}
          aria-invalid={errors.admission_capacity !== undefined}
          aria-describedby={errors.admission_capacity !== undefined ? "set-admission_capacity-error" : undefined}
        />,
        "Tasks that may wait in the queue (1–100 000).",
      )}
      {field(
        "admission_policy",
        "When the queue is full",
        <select id="set-admission_policy" value={current.admission_policy} onChange={(e) => set("admission_policy", e.target.value)} aria-invalid={errors.admission_policy !== undefined}>
          <option value="reject">reject new tasks (429)</option>
          <option value="drop-lru">drop the oldest batch task</option>
        </select>,
        "reject never drops accepted work; drop-lru ends the oldest batch task with QUEUE_FULL_DROP_LRU.",
      )}
      {field(
        "session_token_budget",
        "Session token budget",
        <input
          id="set-session_token_budget"
          type="number"
          inputMode="numeric"
          min={0}
          value={current.session_token_budget}
          onChange={(e) => set("session_token_budget", e.target.value)}
          aria-invalid={errors.session_token_budget !== undefined}
        />,
        "Tokens one session may use; 0 means unlimited.",
      )}
      <div className={v.formActions}>
        <Button type="submit" variant="primary" disabled={!dirty || saving}>
          {saving && <Spinner />}
          Save changes
        </Button>
        <Button
          onClick={() => {
            setDraft(null);
            setErrors({});
          }}
          disabled={!dirty || saving}
        >
          Discard
        </Button>
        {errors.form !== undefined && (
          <span className={v.fieldError} role="alert">
            {errors.form}
          </span>
        )}
      </div>
    </form>
  );
}

interface Rotation {
  oldId: string;
  newId: string;
}

function ApiKeys() {
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [rotations, setRotations] = useState<Rotation[]>([]);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
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

  const create = async (keyName: string): Promise<string | null> => {
    try {
      const created = await api.createApiKey(keyName);
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
    const id = await create(`${base} (rotated ${new Date().toISOString().slice(0, 10)})`);
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
          void create(trimmed).then((id) => {
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
        <EmptyState title="Could not load the keys">
          <span>
            <code>{loadError.code}</code> {loadError.message}
          </span>
          <Button size="small" onClick={() => void load()}>
            Retry
          </Button>
        </EmptyState>
      ) : keys === null ? (
        <Loading what="API keys" />
      ) : (
        <table className={v.candidates} data-testid="api-keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Fingerprint</th>
              <th>Source</th>
              <th>Created</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...active, ...revoked].map((k) => (
              <tr key={k.id} data-key-id={k.id} data-key-name={k.name}>
                <td>{k.name}</td>
                <td className={v.mono}>{k.fp6}</td>
                <td className={v.muted}>{k.source === "api-key" ? "dashboard" : k.source}</td>
                <td className={v.muted}>{formatDateTime(k.created_at_ms)}</td>
                <td>{k.revoked_at_ms === null ? <Badge tone="ok" dot>active</Badge> : <Badge tone="idle">revoked {formatDateTime(k.revoked_at_ms)}</Badge>}</td>
                <td>
                  {k.source === "api-key" && k.revoked_at_ms === null ? (
                    <span className={v.inline}>
                      <Button size="small" onClick={() => void rotate(k)} disabled={busy} aria-label={`Rotate ${k.name}`}>
                        Rotate
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

export function SettingsView() {
  return (
    <div className={v.page}>
      <Panel title="Cluster" subtitle="validated, applied at once, persisted">
        <ClusterSettings />
      </Panel>
      <Panel title="API keys" subtitle="bearer tokens for clients and workers; two can be live while you rotate">
        <ApiKeys />
      </Panel>
    </div>
  );
}

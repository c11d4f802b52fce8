import { cloneElement, isValidElement, useState, type ReactElement, type ReactNode } from "react";
import { useStore } from "zustand";
import { SettingsUpdateSchema, type Settings, type SettingsUpdate } from "../../src-shared/dashboard/settings.js";
import { api, reportError, reportSuccess, stores } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { Badge, Button, Loading, Panel, Spinner } from "../components/ui.js";
import { ApiKeys } from "./ApiKeys.js";
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

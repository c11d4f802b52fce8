import { useEffect, useState } from "react";
import type { KeyLimits } from "../../src-shared/auth/key-limits.js";
import type { ApiKeyInfo } from "../../src-shared/dashboard/api-keys.js";
import { Button, Dialog, Spinner } from "../components/ui.js";
import v from "./views.module.css";

type Field = keyof KeyLimits;

const FIELDS: { key: Field; label: string; help: string; max: number }[] = [
  { key: "requests_per_minute", label: "Requests per minute", help: "Tasks admitted per minute on every API; a minute's worth may come at once. Empty: no limit.", max: 1_000_000 },
  { key: "tokens_per_day", label: "Tokens per day (UTC)", help: "Prompt + generated tokens; once used, requests are refused until 00:00 UTC. Empty: no limit.", max: 1_000_000_000_000 },
];

/** "30 req/min · 200,000 tokens/day", or "none". */
export function formatKeyLimits(limits: KeyLimits): string {
  const parts = [
    limits.requests_per_minute === null ? null : `${limits.requests_per_minute.toLocaleString("en-US")} req/min`,
    limits.tokens_per_day === null ? null : `${limits.tokens_per_day.toLocaleString("en-US")} tokens/day`,
  ].filter((p) => p !== null);
  return parts.length === 0 ? "none" : parts.join(" · ");
}

/** A whole number in range, or null for an empty field; a string says what is wrong. */
function parseLimit(text: string, max: number): number | null | string {
  const t = text.trim().replaceAll(",", "").replaceAll("_", "");
  if (t === "") return null;
  if (!/^\d+$/.test(t)) return "a whole number, or empty for no limit";
  const n = Number(t);
  if (n < 1 || n > max) return `between 1 and ${max.toLocaleString("en-US")}, or empty for no limit`;
  return n;
}

/** Settings → API keys → Limits: a key's requests per minute and tokens per day (empty: no limit). */
export function ApiKeyLimitsDialog({ apiKey, busy, onSave, onCancel }: { apiKey: ApiKeyInfo | null; busy: boolean; onSave: (limits: KeyLimits) => void; onCancel: () => void }) {
  const [text, setText] = useState<Record<Field, string>>({ requests_per_minute: "", tokens_per_day: "" });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  useEffect(() => {
    if (apiKey === null) return;
    setText({ requests_per_minute: apiKey.limits.requests_per_minute?.toString() ?? "", tokens_per_day: apiKey.limits.tokens_per_day?.toString() ?? "" });
    setErrors({});
  }, [apiKey]);

  const save = () => {
    const next: Partial<Record<Field, string>> = {};
    const limits: KeyLimits = { requests_per_minute: null, tokens_per_day: null };
    for (const f of FIELDS) {
      const parsed = parseLimit(text[f.key], f.max);
      if (typeof parsed === "string") next[f.key] = parsed;
      else limits[f.key] = parsed;
    }
    setErrors(next);
    if (Object.keys(next).length === 0) onSave(limits);
  };

  return (
    <Dialog
      open={apiKey !== null}
      onClose={onCancel}
      title={`Limits of “${apiKey?.name ?? ""}”`}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="primary" onClick={save} disabled={busy}>
            {busy && <Spinner />}
            Save limits
          </Button>
        </>
      }
    >
      <form
        className={v.sectionGap}
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
        noValidate
      >
        {FIELDS.map((f) => (
          <div key={f.key} className={v.field}>
            <label htmlFor={`limit-${f.key}`}>{f.label}</label>
            <input
              id={`limit-${f.key}`}
              type="text"
              inputMode="numeric"
              placeholder="no limit"
              value={text[f.key]}
              onChange={(e) => {
                const value = e.target.value;
                setText((t) => ({ ...t, [f.key]: value }));
                setErrors((x) => ({ ...x, [f.key]: undefined }));
              }}
              aria-invalid={errors[f.key] !== undefined}
            />
            <span className={v.fieldHelp}>{f.help}</span>
            {errors[f.key] !== undefined && (
              <span className={v.fieldError} role="alert">
                {errors[f.key]}
              </span>
            )}
          </div>
        ))}
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}

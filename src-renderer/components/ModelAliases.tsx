import { useMemo, useState } from "react";
import { aliasNameProblem, normalizeAliasName, type ModelAlias } from "../../src-shared/models/model-alias.js";
import { api, reportError, reportSuccess } from "../app-context.js";
import { toApiError } from "../api/errors.js";
import { singleFlight } from "../lib/single-flight.js";
import { Button, Clip } from "./ui.js";
import m from "./models.module.css";

/**
 * A model's operator aliases (docs/MODEL_STAGING.md "Aliases"): each can be removed, and one added, by
 * sha256. One change at a time (a double click adds or removes once); the server's refusal (a name a
 * model has, a read-only session) is shown as it says it.
 */
export function ModelAliases({ sha256, modelId, aliases, onChanged, addable = true }: { sha256: string; modelId: string; aliases: readonly ModelAlias[]; onChanged: () => void; addable?: boolean }) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const flight = useMemo(() => singleFlight(setBusy), []);
  const typed = normalizeAliasName(name);
  // Checked as the server checks it, so the button says why before a round trip; the server still decides.
  const problem = typed === "" ? null : aliasNameProblem(typed);
  const add = () =>
    void flight(async () => {
      try {
        const created = await api.setModelAlias(typed, sha256);
        reportSuccess(created.replaced === null ? `Alias “${created.name}” added` : `Alias “${created.name}” now points at ${modelId}`, created.warning ?? `Clients can send model “${created.name}” on every API.`);
        setName("");
        onChanged();
      } catch (err) {
        reportError(`Could not add the alias “${typed}”`, toApiError(err));
      }
    });
  const remove = (alias: string) =>
    void flight(async () => {
      try {
        await api.deleteModelAlias(alias);
        reportSuccess(`Alias “${alias}” removed`, `Requests for “${alias}” now fail with 404; ${modelId} is unchanged.`);
        onChanged();
      } catch (err) {
        reportError(`Could not remove the alias “${alias}”`, toApiError(err));
      }
    });
  return (
    <span className={m.aliases} data-testid="model-aliases">
      {aliases.length === 0 && <span className={m.faint}>none</span>}
      {aliases.map((a) => (
        <span key={a.name} className={m.aliasChip} data-alias={a.name}>
          <code>
            <Clip text={a.name} max={40} />
          </code>
          <button type="button" className={m.iconButton} disabled={busy} onClick={() => remove(a.name)} aria-label={`Remove alias ${a.name}`} title="Remove this alias (the model stays)">
            ×
          </button>
        </span>
      ))}
      {addable && (
        <form
          className={m.aliasForm}
          onSubmit={(e) => {
            e.preventDefault();
            if (typed !== "" && problem === null) add();
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. gpt-4o-mini" aria-label={`New alias for ${modelId}`} maxLength={200} disabled={busy} />
          <Button size="small" type="submit" disabled={busy || typed === "" || problem !== null} title={problem ?? "Clients may then send this name as the model, on every API"}>
            Add alias
          </Button>
        </form>
      )}
      {problem !== null && <span className={m.failed}>{problem}</span>}
    </span>
  );
}

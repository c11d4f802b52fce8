import { useCallback, useEffect, useMemo, useState } from "react";
import type { UsageResponse } from "../../src-shared/dashboard/key-usage.js";
import { api } from "../app-context.js";
import { toApiError, type ApiError } from "../api/errors.js";
import { EmptyState, LoadFailed, Loading } from "../components/ui.js";
import { formatCount } from "../lib/format.js";
import v from "./views.module.css";

const DAYS = 7;

/** Settings → API keys → the last 7 UTC days: requests and tokens per credential, newest day first. */
export function KeyUsageTable({ refreshKey }: { refreshKey: number }) {
  const [usage, setUsage] = useState<UsageResponse | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = useCallback(async () => {
    try {
      setUsage(await api.usage(DAYS));
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  // One row per credential, its days as columns (newest first), and the week's total.
  const { days, rows } = useMemo(() => {
    if (usage === null) return { days: [] as string[], rows: [] };
    const days = [...new Set(usage.usage.map((u) => u.day))].sort().reverse();
    const byKey = new Map<string, { name: string; perDay: Map<string, number>; requests: number; tokens: number }>();
    for (const u of usage.usage) {
      const row = byKey.get(u.key_id) ?? { name: u.name, perDay: new Map(), requests: 0, tokens: 0 };
      row.perDay.set(u.day, u.tokens_in + u.tokens_out);
      row.requests += u.requests;
      row.tokens += u.tokens_in + u.tokens_out;
      byKey.set(u.key_id, row);
    }
    return { days, rows: [...byKey.entries()].sort((a, b) => b[1].tokens - a[1].tokens) };
  }, [usage]);

  if (error !== null) return <LoadFailed title="Could not load the usage" error={error} onRetry={() => void load()} />;
  if (usage === null) return <Loading what="usage" />;
  if (rows.length === 0) return <EmptyState title={`No use in the last ${DAYS} days`}>Requests and tokens per key appear here once clients use the cluster.</EmptyState>;
  return (
    <table className={v.candidates} data-testid="key-usage-table" aria-label={`Tokens per key and UTC day, last ${DAYS} days`}>
      <thead>
        <tr>
          <th>Key</th>
          <th>Requests</th>
          <th>Tokens</th>
          {days.map((d) => (
            <th key={d} className={v.muted}>
              {d.slice(5)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(([id, r]) => (
          <tr key={id} data-usage-key={id}>
            <td>{r.name}</td>
            <td>{formatCount(r.requests)}</td>
            <td data-testid="usage-tokens">{formatCount(r.tokens)}</td>
            {days.map((d) => (
              <td key={d} className={v.muted}>
                {r.perDay.has(d) ? formatCount(r.perDay.get(d)) : "—"}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import type { PoolDesiredStatus } from "../../src-shared/nodes/pool-desired.js";
import { Badge } from "./ui.js";

/**
 * Desired vs observed for one pool: what the operator asked ("draining (requested)", "reloading to
 * X") while the worker has not reported it yet. Nothing once it has, or when no one asked.
 */
export function PoolDesiredBadge({ desired }: { desired: PoolDesiredStatus | undefined }) {
  if (desired === undefined || desired.convergence.converged) return null;
  const c = desired.convergence;
  const title = [`Requested; the worker has not reported it yet (${c.attempts} command${c.attempts === 1 ? "" : "s"} sent).`, c.last_error ?? ""].join(" ").trim();
  return (
    <span data-testid="pool-desired">
      <Badge tone={c.last_error !== null ? "warn" : "info"} title={title}>
        {c.detail}
      </Badge>
    </span>
  );
}

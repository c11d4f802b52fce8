import type { PoolDesiredStatus } from "../../src-shared/nodes/pool-desired.js";
import { Badge } from "./ui.js";

/**
 * Desired vs observed for one pool: what the operator asked ("draining (requested)", "reloading to
 * X") until the worker reports it, then what holds ("drained"). Nothing when no one asked.
 */
export function PoolDesiredBadge({ desired }: { desired: PoolDesiredStatus | undefined }) {
  if (desired === undefined) return null;
  const c = desired.convergence;
  if (c.converged && !desired.draining) return null;
  const title = [c.converged ? "The worker reports the desired state." : `Desired state not reached yet (${c.attempts} command${c.attempts === 1 ? "" : "s"} sent).`, c.last_error ?? ""].join(" ").trim();
  return (
    <span data-testid="pool-desired">
      <Badge tone={c.last_error !== null ? "warn" : c.converged ? "idle" : "info"} title={title}>
        {c.detail}
      </Badge>
    </span>
  );
}

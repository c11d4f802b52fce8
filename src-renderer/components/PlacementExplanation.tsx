import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import v from "../views/views.module.css";
import { Badge, EmptyState } from "./ui.js";

/** Why this node, and why not the others: the placer's decision and every candidate's reasons. */
export function PlacementExplanation({ task }: { task: TaskStatus }) {
  const p = task.placement;
  if (p === null) {
    return (
      <EmptyState title={task.state === "queued" ? "Not placed yet" : "No placement recorded"}>
        {task.state === "queued" ? "The task waits in the queue until a pool holding its model has a free slot; the decision appears here then." : "This task ended before it was placed."}
      </EmptyState>
    );
  }
  const d = p.decision;
  return (
    <div className={v.sectionGap} data-testid="placement">
      {d !== null ? (
        <p>
          Placed on <strong>{d.node_id}</strong> / <code>{d.pool_id}</code> by the <strong>{d.strategy}</strong> strategy
          {d.pinned ? " (pinned by the request)" : ""}
          {d.fallback_used ? ", using the fallback after preferred pools were unavailable" : ""}
          {d.tie_breakers && d.tie_breakers.length > 0 ? `; tie-breakers in order: ${d.tie_breakers.join(" → ")}` : ""}
          {d.score !== undefined ? `; score ${d.score.toFixed(2)}` : ""}.
        </p>
      ) : (
        <p>No candidate was eligible.</p>
      )}
      <table className={v.candidates}>
        <thead>
          <tr>
            <th>Node</th>
            <th>Pool</th>
            <th>Outcome</th>
            <th>Why not</th>
            <th>Score</th>
          </tr>
        </thead>
        <tbody>
          {p.candidates.map((c) => {
            const won = d !== null && d.node_id === c.node_id && d.pool_id === c.pool_id;
            return (
              <tr key={`${c.node_id}/${c.pool_id}`} className={won ? v.winner : undefined}>
                <td>{c.node_id}</td>
                <td className={v.mono}>{c.pool_id}</td>
                <td>{won ? <Badge tone="ok">chosen</Badge> : c.eligible ? <Badge tone="info">eligible, lost on score</Badge> : <Badge tone="idle">filtered out</Badge>}</td>
                <td>{c.reasons_rejected.length > 0 ? c.reasons_rejected.join("; ") : won ? "—" : "ranked lower"}</td>
                <td>{c.score !== undefined ? c.score.toFixed(2) : "—"}</td>
              </tr>
            );
          })}
          {p.candidates.length === 0 && (
            <tr>
              <td colSpan={5}>No candidates were considered.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

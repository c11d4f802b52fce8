import type { CatalogModel } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { EngineSupervisor } from "./engine-supervisor.js";
import type { PoolLifecycle } from "./pool-lifecycle.js";

export interface ReloadParts {
  lifecycle: PoolLifecycle;
  supervisor: EngineSupervisor;
  /** The drain shared with drain(): in-flight work finishes (or is aborted at the deadline), the engine stops. */
  windDown: (deadlineMs: number) => Promise<void>;
  log: Logger;
}

/**
 * Drain → load the target → ready; when the target does not load, roll back to the previous model
 * (or fail when there was none). The caller has checked that a reload may start. A drain or stop
 * arriving meanwhile moves the phase away from the reload's, and the reload then just ends: the
 * operator's last command wins.
 */
export async function reloadWithRollback(parts: ReloadParts, target: CatalogModel, drainDeadlineMs: number): Promise<void> {
  const { lifecycle, supervisor, log } = parts;
  const previous = supervisor.model;
  lifecycle.transition("reload_draining", `reload to ${target.file_name}`);
  await parts.windDown(drainDeadlineMs);
  if (!lifecycle.is("reload_draining")) return;
  // An operator action starts afresh: earlier crashes must not open the breaker on the new model.
  supervisor.policy.reset();
  const outcome = await supervisor.load(target, "reload_loading", null);
  if (outcome.ok) {
    log.info({ model: target.file_name, sha256: target.sha256 }, "pool reloaded");
    return;
  }
  if (!lifecycle.is("reload_loading")) return;
  const message = `reload to ${target.file_name} failed (${outcome.code}: ${outcome.message})`;
  if (previous === undefined) {
    lifecycle.transition("failed", "reload failed, nothing to roll back to", message);
    return;
  }
  log.warn({ model: target.file_name, error: outcome.message }, "reload failed; rolling back");
  // Keep the reload failure visible even once the old model serves again.
  await supervisor.load(previous, "rollback_loading", message, `${message}; rolled back to ${previous.file_name}`);
}

import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import type { PinnedSetting, Settings, SettingsUpdate } from "../../../src-shared/dashboard/settings.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { SettingsStore } from "../db/settings-store.js";

/**
 * The configuration in force: the configured values with the operator's run-time changes (from the
 * dashboard, persisted) on top, except for keys pinned by the environment or the config file
 * (precedence env > config file > dashboard; a stored value for a pinned key is ignored, and a
 * change to one is refused). `apply` validates nothing else itself (the route's schema did),
 * persists, and tells the listeners so the parts that hold copies (queue capacity, session limits) follow.
 */
export class RuntimeSettings {
  private current: OrchestratorConfig;
  private readonly listeners: ((config: OrchestratorConfig) => void)[] = [];

  constructor(
    base: OrchestratorConfig,
    private readonly store: SettingsStore,
    private readonly pinned: readonly PinnedSetting[] = [],
  ) {
    this.current = { ...base, ...this.unpinned(store.load()) };
  }

  /** The effective configuration (read it on every use: it changes at run time). */
  config = (): OrchestratorConfig => this.current;

  /** Stored dashboard values that a pin overrides (to say so in the log at start). */
  overriddenByPins(): { key: string; source: string; stored: unknown }[] {
    const stored = this.store.load();
    return this.pinned.filter((p) => stored[p.key] !== undefined).map((p) => ({ key: p.key, source: p.source, stored: stored[p.key] }));
  }

  onChange(listener: (config: OrchestratorConfig) => void): void {
    this.listeners.push(listener);
  }

  view(): Settings {
    const c = this.current;
    return {
      placement_strategy: c.placement_strategy,
      admission_capacity: c.admission_capacity,
      admission_policy: c.admission_policy,
      session_token_budget: c.session_token_budget,
      staging_bandwidth_limit_bytes_per_s: c.staging_bandwidth_limit_bytes_per_s,
      profile: c.cloud_profile ? "cloud" : "home",
      bind_addr: c.bind_addr,
      pinned: [...this.pinned],
    };
  }

  apply(update: SettingsUpdate): Settings {
    const blocked = this.pinned.filter((p) => update[p.key] !== undefined);
    if (blocked.length > 0) {
      throw new OrchError("CONFLICT", `pinned outside the dashboard: ${blocked.map((p) => `${p.key} (${p.source})`).join(", ")}; change it there`);
    }
    this.current = { ...this.current, ...update };
    this.store.save({ ...this.store.load(), ...update });
    for (const listener of this.listeners) listener(this.current);
    return this.view();
  }

  private unpinned(stored: SettingsUpdate): SettingsUpdate {
    const out: SettingsUpdate = { ...stored };
    for (const p of this.pinned) delete out[p.key];
    return out;
  }
}

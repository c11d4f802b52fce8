import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import type { Settings, SettingsUpdate } from "../../../src-shared/dashboard/settings.js";
import type { SettingsStore } from "../db/settings-store.js";

/**
 * The configuration in force: the configured values with the operator's run-time changes (from the
 * dashboard, persisted) on top. `apply` validates nothing itself (the route's schema did), persists,
 * and tells the listeners so the parts that hold copies (queue capacity, session limits) follow.
 */
export class RuntimeSettings {
  private current: OrchestratorConfig;
  private readonly listeners: ((config: OrchestratorConfig) => void)[] = [];

  constructor(
    base: OrchestratorConfig,
    private readonly store: SettingsStore,
  ) {
    this.current = { ...base, ...store.load() };
  }

  /** The effective configuration (read it on every use: it changes at run time). */
  config = (): OrchestratorConfig => this.current;

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
    };
  }

  apply(update: SettingsUpdate): Settings {
    this.current = { ...this.current, ...update };
    this.store.save({ ...this.store.load(), ...update });
    for (const listener of this.listeners) listener(this.current);
    return this.view();
  }
}

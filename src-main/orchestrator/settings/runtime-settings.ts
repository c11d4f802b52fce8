import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { SETTING_KEYS, type PinnedSetting, type Settings, type SettingsChange, type SettingsUpdate } from "../../../src-shared/dashboard/settings.js";
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

  /**
   * Applies the changeable keys of `update` and returns what is in force. Read-only facts and pinned keys
   * sent as GET shows them change nothing (a client PUTs back what it read); any other value of one is refused.
   * Returns the keys that changed (for the audit) beside the settings.
   */
  apply(update: SettingsUpdate): { settings: Settings; changed: SettingsChange } {
    const now = this.view();
    const readOnly: ("profile" | "bind_addr" | "pinned")[] = (["profile", "bind_addr"] as const).filter((key) => update[key] !== undefined && update[key] !== now[key]);
    if (update.pinned !== undefined && !samePins(update.pinned, this.pinned)) readOnly.push("pinned");
    if (readOnly.length > 0) {
      throw new OrchError("INVALID_PARAMS", `${readOnly.join(", ")}: read-only (set when the orchestrator starts); send the value GET /v2/settings shows, or leave it out`, {
        details: { issues: readOnly.map((key) => ({ path: [key], message: "read-only: set when the orchestrator starts" })) },
      });
    }
    const blocked = this.pinned.filter((p) => update[p.key] !== undefined && update[p.key] !== now[p.key]);
    if (blocked.length > 0) {
      throw new OrchError("CONFLICT", `pinned outside the dashboard: ${blocked.map((p) => `${p.key} (${p.source})`).join(", ")}; change it there`);
    }
    const pinnedKeys = new Set(this.pinned.map((p) => p.key));
    const changed: SettingsChange = {};
    for (const key of SETTING_KEYS) {
      const value = update[key];
      if (value !== undefined && !pinnedKeys.has(key)) Object.assign(changed, { [key]: value });
    }
    this.current = { ...this.current, ...changed };
    this.store.save({ ...this.store.load(), ...changed });
    for (const listener of this.listeners) listener(this.current);
    return { settings: this.view(), changed };
  }

  private unpinned(stored: SettingsChange): SettingsChange {
    const out: SettingsChange = { ...stored };
    for (const p of this.pinned) delete out[p.key];
    return out;
  }
}

/** The pins a client sent back are the ones in force (in any order). */
function samePins(sent: readonly PinnedSetting[], held: readonly PinnedSetting[]): boolean {
  const key = (p: PinnedSetting) => `${p.key}\u0000${p.source}`;
  const heldKeys = new Set(held.map(key));
  return sent.length === held.length && new Set(sent.map(key)).size === sent.length && sent.every((p) => heldKeys.has(key(p)));
}

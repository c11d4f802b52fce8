import { z } from "zod";
import { SettingsChangeSchema, type SettingsChange } from "../../../src-shared/dashboard/settings.js";
import type { Db } from "./database.js";

/** Run-time settings changed in the dashboard; they override the configuration at the next start too. */
export class SettingsStore {
  constructor(private readonly db: Db) {}

  load(): SettingsChange {
    const raw = this.db.prepare(`SELECT value_json FROM settings WHERE key = 'runtime'`).get();
    if (raw === undefined) return {};
    const parsed = SettingsChangeSchema.safeParse(JSON.parse(z.object({ value_json: z.string() }).parse(raw).value_json));
    return parsed.success ? parsed.data : {};
  }

  save(settings: SettingsChange): void {
    this.db.prepare(`INSERT INTO settings (key, value_json) VALUES ('runtime', ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json`).run(JSON.stringify(settings));
  }
}

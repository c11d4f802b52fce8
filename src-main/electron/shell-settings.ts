// The shell's own settings (not the orchestrator's): the one-click home profile choice and the local
// worker's models folder, in <userData>/shell-settings.json. A missing file means first run.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

export const ShellSettingsSchema = z.object({
  /** "ask": offer "Run on this machine" (first run); "on": start the local worker with the app; "off": don't. */
  localWorker: z.enum(["ask", "on", "off"]).default("ask"),
  /** The local worker's models folder; null = the default under Documents. */
  modelsDir: z.string().min(1).nullable().default(null),
  /** Keep serving from the tray when the window is closed (quit from the tray or the menu). */
  keepRunningInTray: z.boolean().default(true),
});
export type ShellSettings = z.infer<typeof ShellSettingsSchema>;

export interface LoadedShellSettings {
  settings: ShellSettings;
  /** True when no settings file existed: the first run. */
  firstRun: boolean;
  /** Set when the file existed but was unreadable; defaults were used. */
  problem: string | null;
}

export function loadShellSettings(file: string): LoadedShellSettings {
  if (!existsSync(file)) return { settings: ShellSettingsSchema.parse({}), firstRun: true, problem: null };
  try {
    const parsed = ShellSettingsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return { settings: parsed.data, firstRun: false, problem: null };
    return { settings: ShellSettingsSchema.parse({}), firstRun: false, problem: `${file}: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  } catch (err) {
    return { settings: ShellSettingsSchema.parse({}), firstRun: false, problem: `${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function saveShellSettings(file: string, settings: ShellSettings): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ShellSettingsSchema.parse(settings), null, 2)}\n`);
  renameSync(tmp, file);
}

import { readdirSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export type ModelsDirSource = "flag" | "env" | "settings" | "default";

/**
 * The models folder of the HOME profile's local worker, in the worker's own order: a `--models-dir`
 * flag, then POOL_MANAGERD_MODELS_DIR, then a folder chosen in the desktop app's settings, then the
 * worker's documented default `$XDG_CACHE_HOME/llama-orch/models` (`~/.cache/llama-orch/models`).
 * Same answer as `llama-orch-worker start` would give, so the docs hold for `npm start` too.
 */
export function localModelsDir(opts: { flag?: string | undefined; settings?: string | null | undefined; env?: NodeJS.ProcessEnv; home?: string }): { dir: string; source: ModelsDirSource } {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const expand = (p: string) => (p === "~" ? home : p.startsWith("~/") ? join(home, p.slice(2)) : resolve(p));
  if (opts.flag !== undefined && opts.flag.trim() !== "") return { dir: expand(opts.flag.trim()), source: "flag" };
  const fromEnv = env.POOL_MANAGERD_MODELS_DIR?.trim();
  if (fromEnv) return { dir: expand(fromEnv), source: "env" };
  if (opts.settings !== null && opts.settings !== undefined && isAbsolute(opts.settings)) return { dir: opts.settings, source: "settings" };
  const cacheHome = env.XDG_CACHE_HOME?.trim() || join(home, ".cache");
  return { dir: join(cacheHome, "llama-orch", "models"), source: "default" };
}

/** Whether a folder holds a model the worker would serve (a visible *.gguf directly in it). */
export function hasGgufModels(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.toLowerCase().endsWith(".gguf") && !f.startsWith("."));
  } catch {
    return false;
  }
}

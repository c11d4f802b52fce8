import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { modelsDirFor, shellPaths, userDataOverride } from "./app-paths.js";
import { loadShellSettings, saveShellSettings } from "./shell-settings.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "llorch-shell-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("shell settings", () => {
  it("a missing file is the first run, with the one-click offer pending", () => {
    const loaded = loadShellSettings(join(tempDir(), "shell-settings.json"));
    expect(loaded).toEqual({ settings: { localWorker: "ask", modelsDir: null, keepRunningInTray: true }, firstRun: true, problem: null });
  });

  it("remembers the choice", () => {
    const file = join(tempDir(), "nested", "shell-settings.json");
    saveShellSettings(file, { localWorker: "on", modelsDir: "/data/models", keepRunningInTray: false });
    expect(loadShellSettings(file)).toEqual({ settings: { localWorker: "on", modelsDir: "/data/models", keepRunningInTray: false }, firstRun: false, problem: null });
  });

  it("fills in keys added since the file was written", () => {
    const file = join(tempDir(), "shell-settings.json");
    writeFileSync(file, JSON.stringify({ localWorker: "off" }));
    expect(loadShellSettings(file).settings).toEqual({ localWorker: "off", modelsDir: null, keepRunningInTray: true });
  });

  it("a corrupt file is not a first run (no repeated offer) and says what is wrong", () => {
    const file = join(tempDir(), "shell-settings.json");
    writeFileSync(file, JSON.stringify({ localWorker: "sometimes" }));
    const loaded = loadShellSettings(file);
    expect(loaded.firstRun).toBe(false);
    expect(loaded.problem).toContain("shell-settings.json");
    writeFileSync(file, "{");
    expect(loadShellSettings(file).problem).toBeTruthy();
  });
});

describe("app paths", () => {
  it("LLORCH_USER_DATA_DIR wins over --user-data-dir", () => {
    expect(userDataOverride(["electron", "main.js", "--user-data-dir=/a"], { LLORCH_USER_DATA_DIR: "/b" })).toBe(resolve("/b"));
  });

  it("reads --user-data-dir in both spellings", () => {
    expect(userDataOverride(["electron", "main.js", "--user-data-dir=/tmp/x"], {})).toBe(resolve("/tmp/x"));
    expect(userDataOverride(["electron", "main.js", "--user-data-dir", "/tmp/y"], {})).toBe(resolve("/tmp/y"));
  });

  it("ignores empty or missing values", () => {
    expect(userDataOverride(["electron", "main.js"], {})).toBeNull();
    expect(userDataOverride(["--user-data-dir="], { LLORCH_USER_DATA_DIR: "  " })).toBeNull();
    expect(userDataOverride(["--user-data-dir", "--inspect"], {})).toBeNull();
  });

  it("puts the orchestrator's data in a subdirectory of userData, models where the worker's docs say", () => {
    const paths = shellPaths({ userData: "/u", logs: "/l", home: "/h" });
    expect(paths).toEqual({
      userData: "/u",
      orchestratorData: join("/u", "orchestrator"),
      logsDir: "/l",
      mainLog: join("/l", "main.log"),
      windowState: join("/u", "window-state.json"),
      shellSettings: join("/u", "shell-settings.json"),
      defaultModelsDir: join("/h", ".cache", "llama-orch", "models"),
    });
    expect(modelsDirFor(null, paths)).toBe(join("/h", ".cache", "llama-orch", "models"));
    expect(modelsDirFor("/srv/models", paths)).toBe("/srv/models");
    expect(modelsDirFor("relative/models", paths)).toBe(join("/h", ".cache", "llama-orch", "models"));
    expect(shellPaths({ userData: "/u", logs: "/l", home: "/h", env: { XDG_CACHE_HOME: "/c" } }).defaultModelsDir).toBe(join("/c", "llama-orch", "models"));
    expect(modelsDirFor("/srv/models", paths, { POOL_MANAGERD_MODELS_DIR: "/env/models" })).toBe("/env/models");
  });
});

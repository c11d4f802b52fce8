import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_WINDOW_STATE, MIN_WINDOW_SIZE, loadWindowState, restoreBounds, saveWindowState, stateFromWindow } from "./window-state.js";

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "llorch-winstate-"));
  dirs.push(dir);
  return join(dir, "sub", "window-state.json");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PRIMARY = { x: 0, y: 0, width: 1920, height: 1040 };
const SECOND = { x: 1920, y: 0, width: 2560, height: 1400 };

describe("window state file", () => {
  it("round-trips bounds and maximized", () => {
    const file = tempFile();
    saveWindowState(file, { x: 100, y: 50, width: 1400, height: 900, maximized: true });
    expect(loadWindowState(file)).toEqual({ x: 100, y: 50, width: 1400, height: 900, maximized: true });
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ maximized: true });
  });

  it("falls back to the default when missing or corrupt", () => {
    const file = tempFile();
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    saveWindowState(file, DEFAULT_WINDOW_STATE);
    writeFileSync(file, "{ not json");
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    writeFileSync(file, JSON.stringify({ width: -5, height: "tall", maximized: 1 }));
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it("refuses to save nonsense", () => {
    expect(() => saveWindowState(tempFile(), { width: 10, height: 10, maximized: false })).toThrow();
  });
});

describe("stateFromWindow", () => {
  it("rounds, and never saves less than the minimum size", () => {
    expect(stateFromWindow({ x: 10.4, y: 20.6, width: 500, height: 300 }, false)).toEqual({ x: 10, y: 21, width: MIN_WINDOW_SIZE.width, height: MIN_WINDOW_SIZE.height, maximized: false });
  });
});

describe("restoreBounds", () => {
  it("keeps saved bounds that are on a display (also a secondary one)", () => {
    expect(restoreBounds({ x: 100, y: 100, width: 1280, height: 800, maximized: false }, [PRIMARY])).toEqual({ x: 100, y: 100, width: 1280, height: 800 });
    expect(restoreBounds({ x: 2200, y: 100, width: 1600, height: 900, maximized: false }, [PRIMARY, SECOND])).toEqual({ x: 2200, y: 100, width: 1600, height: 900 });
  });

  it("re-centres a window whose display is gone", () => {
    const restored = restoreBounds({ x: 2200, y: 100, width: 1600, height: 900, maximized: false }, [PRIMARY]);
    expect(restored).toEqual({ x: 160, y: 70, width: 1600, height: 900 });
  });

  it("re-centres when only a sliver of the title bar would be visible", () => {
    const restored = restoreBounds({ x: 1900, y: 1030, width: 1280, height: 800, maximized: false }, [PRIMARY]);
    expect(restored.x).toBe(320);
  });

  it("shrinks an oversized window to the primary display and centres a first-run window", () => {
    expect(restoreBounds({ width: 4000, height: 3000, maximized: false }, [PRIMARY])).toEqual({ x: 0, y: 0, width: 1920, height: 1040 });
    expect(restoreBounds(DEFAULT_WINDOW_STATE, [PRIMARY])).toEqual({ x: 320, y: 120, width: 1280, height: 800 });
    expect(restoreBounds(DEFAULT_WINDOW_STATE, [])).toEqual({ width: 1280, height: 800 });
  });
});

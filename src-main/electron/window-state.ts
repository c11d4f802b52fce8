// Window bounds and maximized state, remembered in <userData>/window-state.json. Pure logic plus a tiny
// file store; the window wiring saves on move/resize (debounced) and on close.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WindowStateSchema = z.object({
  x: z.int().optional(),
  y: z.int().optional(),
  width: z.int().min(200).max(20_000),
  height: z.int().min(150).max(20_000),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 800, maximized: false };
export const MIN_WINDOW_SIZE = { width: 960, height: 600 } as const;

/** The saved state, or the default when the file is missing or corrupt. */
export function loadWindowState(file: string): WindowState {
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data : { ...DEFAULT_WINDOW_STATE };
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

/** Atomic write (temp file + rename), so a crash mid-write never leaves a corrupt file. */
export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(WindowStateSchema.parse(state), null, 2)}\n`);
  renameSync(tmp, file);
}

/** The state to save for a window: its normal (restored) bounds, and whether it is maximized. */
export function stateFromWindow(normalBounds: Rect, maximized: boolean): WindowState {
  return {
    x: Math.round(normalBounds.x),
    y: Math.round(normalBounds.y),
    width: Math.max(MIN_WINDOW_SIZE.width, Math.round(normalBounds.width)),
    height: Math.max(MIN_WINDOW_SIZE.height, Math.round(normalBounds.height)),
    maximized,
  };
}

function visibleArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Bounds to open the window with, given the displays' work areas now: the saved bounds when enough of
 * the window (its title bar strip, at least 100×40 px) is on some display; otherwise the saved size,
 * shrunk to fit, centred on the primary (first) display. A monitor unplugged since last time never
 * leaves the window off-screen.
 */
export function restoreBounds(state: WindowState, workAreas: Rect[]): Partial<Rect> & { width: number; height: number } {
  const primary = workAreas[0];
  const width = primary ? Math.min(state.width, primary.width) : state.width;
  const height = primary ? Math.min(state.height, primary.height) : state.height;
  if (state.x !== undefined && state.y !== undefined) {
    const titleBar: Rect = { x: state.x, y: state.y, width: state.width, height: 40 };
    if (workAreas.some((area) => visibleArea(titleBar, area) >= 100 * 40)) return { x: state.x, y: state.y, width: state.width, height: state.height };
  }
  if (!primary) return { width, height };
  return { x: primary.x + Math.round((primary.width - width) / 2), y: primary.y + Math.round((primary.height - height) / 2), width, height };
}

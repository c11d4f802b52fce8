import type { Page } from "playwright-core";

/** Records the page's main-thread long tasks (PerformanceObserver "longtask") from its first script on. */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
  });
}

/** The long tasks' durations (ms) recorded so far; `clear` starts a new window. */
export function longTasks(page: Page, clear = false): Promise<number[]> {
  return page.evaluate((c) => {
    const w = window as unknown as { __longTasks: number[] };
    return c ? w.__longTasks.splice(0) : [...w.__longTasks];
  }, clear);
}

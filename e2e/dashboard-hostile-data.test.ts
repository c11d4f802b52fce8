import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { waitFor as until } from "../test-support/wait-for.js";

// Found by the dashboard adversary: what workers report is shown as they report it, and some of it has
// no length bound (a GPU's name, the agent's version, a model's GGUF name, a pool's last error). React
// escaped it (no markup ran), but a 10,000-character name widened the Nodes table to 74,652 px, the Pools
// table to 40,744 px and the node and Models pages to ~14,000 px: the Drain buttons and every column
// right of the name were 70,000 px off screen, at 1280 px as at 1024×600. Names are now clipped (full text
// in a tooltip, bidi-isolated) and tables never size their columns by content.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\u202Eevil\u200B\u200D🦙🔥${"W".repeat(10_000)}`;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/dashboard-hostile-data.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let browser: Browser;
const problems: string[] = [];

async function register(id: string, hostile: boolean): Promise<void> {
  const sha = createHash("sha256").update(id).digest("hex");
  const name = hostile ? EVIL : "plain";
  const model = { sha256: sha, name, file_name: `${name}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096, architecture: name, quantization: name };
  const reg = await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: id, machine_id: name.slice(0, 256), address: hostile ? `http://127.0.0.1:9/${"a".repeat(1900)}?q=<b>x</b>` /* near the 2,048 bound (a longer one is refused) */ : "http://127.0.0.1:9", pools: [`${id}-p0`], capabilities: { gpus: [{ device_id: 0, name, vram_total_bytes: 24 * 2 ** 30, vram_free_bytes: 0 }], cpu_cores: 8 }, version: name, models: [model] }) });
  expect(reg.status).toBe(200);
  const pool = { pool_id: `${id}-p0`, ready: !hostile, draining: false, slots_free: 1, slots_total: 4, vram_free_bytes: 0, engine: name, engine_version: name, device_mask: name.slice(0, 300), models_available: [sha], model: { sha256: sha, name }, last_error: hostile ? EVIL : null };
  const hb = await orch.api(`/v2/nodes/${id}/heartbeat`, { method: "POST", body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [pool], models: [model] }) });
  expect(hb.status).toBe(200);
}

/** How far the page and its widest scroll container reach sideways, and whether any markup ran. */
function measure(page: Page) {
  return page.evaluate(() => {
    let widest = 0;
    // Code blocks (the copyable examples, which must hold the model id whole) scroll sideways by design.
    for (const el of document.querySelectorAll("main *")) if (el.closest("pre") === null) widest = Math.max(widest, (el as HTMLElement).scrollWidth);
    return { pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0, page: document.documentElement.scrollWidth, widest, viewport: window.innerWidth };
  });
}

describe.skipIf(!hasChromium)("hostile names from workers in the dashboard", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [orch, browser] = await Promise.all([
      startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR, pool_probe_interval_ms: 0, log_level: "warn", node_suspect_ms: 120_000, node_timeout_ms: 240_000 }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] }),
    ]);
    await register("evil-node", true);
    await register("plain-node", false);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await orch?.close();
  });

  for (const viewport of [{ width: 1280, height: 720 }, { width: 1024, height: 600 }]) {
    it(`renders escaped and clipped on every view at ${viewport.width}×${viewport.height}; the Drain button stays on screen`, async () => {
      const page = await (await browser.newContext({ viewport })).newPage();
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && !m.text().includes("frame-ancestors")) problems.push(m.text());
      });
      await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
      for (const view of ["nodes", "nodes/evil-node", "pools", "models", "playground", "overview"]) {
        await page.evaluate((h) => {
          window.location.hash = h;
        }, `#/${view}`);
        // The hostile node's row or page is drawn (its clipped name shows), then measured.
        await until(`${view} shows the hostile node`, async () => (await page.locator("main").textContent())?.includes("evil-node") ?? false, 15_000);
        if (view === "models") await page.getByTestId("models-matrix").waitFor();
        const m = await measure(page);
        console.log(`hostile data, ${viewport.width} px, ${view}: page ${m.page} px, widest element ${m.widest} px`);
        expect(m.pwned).toBe(0);
        expect(m.page).toBeLessThanOrEqual(m.viewport);
        // A table may scroll sideways at a narrow window by its columns' minimums, never by a name's length.
        expect(m.widest).toBeLessThan(3000);
      }
      await page.evaluate(() => {
        window.location.hash = "#/nodes";
      });
      const drain = page.getByRole("button", { name: "Drain evil-node" });
      await drain.waitFor();
      await drain.scrollIntoViewIfNeeded();
      const box = await drain.boundingBox();
      expect(box).not.toBeNull();
      expect((box?.x ?? Infinity) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width);
      // The hostile text is there as text (escaped), clipped, with the full text in a tooltip.
      const gpu = page.locator('[data-row-key="evil-node"] bdi').filter({ hasText: "<img src=x" }).first();
      const shown = (await gpu.textContent()) ?? "";
      expect(shown.startsWith('<img src=x onerror="window.__pwned=1">')).toBe(true);
      expect(shown.length).toBeLessThan(200);
      expect(((await gpu.getAttribute("title")) ?? "").length).toBeGreaterThan(shown.length);
      await page.screenshot({ path: join(SHOTS, `nodes-hostile-${viewport.width}.png`) });
      expect(problems).toEqual([]);
      await page.context().close();
    }, 90_000);
  }
});

// The Electron shell end to end, driven by Playwright's _electron against the built app
// (dist/src-main/electron/main.js): window, preload API, isolation, CSP, single instance, tray, embedded
// orchestrator, one-click local worker, quit. These run wherever an Electron binary exists (set
// ELECTRON_EXECUTABLE or ELECTRON_OVERRIDE_DIST_PATH, or install electron online; Linux needs a display,
// e.g. xvfb-run -a). Elsewhere they are reported as skipped, with the reason in the suite's name.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { _electron, type ElectronApplication, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionInfo, IpcResult, LlamaOrchDesktopApi, LocalWorkerStatus } from "../src-shared/ipc/ipc-contract.js";
import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { ELECTRON_MAIN, REPO_ROOT, electronSkipReason, resolveElectronBinary } from "./electron-binary.js";

const skipReason = electronSkipReason();
if (skipReason !== null) console.log(`[electron e2e] SKIPPED: ${skipReason}`);

type ShellDiagnostics = {
  origin(): string | null;
  tray(): { exists: boolean; tooltip: string };
  localWorker(): LocalWorkerStatus | null;
};

describe.skipIf(skipReason !== null)(`Electron shell${skipReason !== null ? ` [skipped: ${skipReason}]` : ""}`, () => {
  let binary = "";
  let userData = "";
  let env: Record<string, string> = {};
  let app: ElectronApplication;
  let page: Page;
  let origin = "";
  let connection: ConnectionInfo;
  const output: string[] = [];

  const args = () => [ELECTRON_MAIN, ...(process.getuid?.() === 0 ? ["--no-sandbox"] : [])];
  const api = (path: string) => fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${connection.token}` } });

  beforeAll(async () => {
    const found = resolveElectronBinary();
    if (!("binary" in found)) throw new Error(found.reason);
    binary = found.binary;
    if (!existsSync(ELECTRON_MAIN) || !existsSync(join(REPO_ROOT, "dist/renderer/index.html"))) throw new Error("the app is not built: run npm run build");
    userData = mkdtempSync(join(tmpdir(), "llorch-electron-e2e-"));
    mkdirSync(join(userData, "models"), { recursive: true });
    // Not a first run: no "Run on this machine?" dialog; the spec presses the one-click button itself.
    writeFileSync(join(userData, "shell-settings.json"), JSON.stringify({ localWorker: "off", modelsDir: join(userData, "models"), keepRunningInTray: true }));
    env = {
      ...(process.env as Record<string, string>),
      LLORCH_USER_DATA_DIR: userData,
      ORCHESTRATORD_BIND_ADDR: "127.0.0.1:0",
      LLORCH_LOG_LEVEL: "info",
    };
    delete env.ELECTRON_RUN_AS_NODE;
    delete env.LLORCH_DATA_DIR;
    app = await _electron.launch({ executablePath: binary, args: args(), env, cwd: REPO_ROOT, timeout: 60_000 });
    app.process().stdout?.on("data", (c: Buffer) => output.push(c.toString()));
    app.process().stderr?.on("data", (c: Buffer) => output.push(c.toString()));
    page = await app.firstWindow();
    await page.waitForURL((url) => url.pathname === "/", { timeout: 30_000 });
    origin = new URL(page.url()).origin;
  }, 120_000);

  afterAll(async () => {
    if (app) await app.close().catch(() => {});
    if (output.length > 0 && process.env.LLORCH_E2E_VERBOSE) console.log(output.join(""));
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  it("opens a window on the dashboard, logged in with the one-time code (cookie session)", async () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await page.evaluate(() => fetch("/v2/nodes").then((r) => r.status))).toBe(200);
    const diagnostics = await app.evaluate(() => (globalThis as unknown as { __llamaOrchShell: ShellDiagnostics }).__llamaOrchShell.origin());
    expect(diagnostics).toBe(origin);
  });

  it("exposes the typed preload API, and only it", async () => {
    const shape = await page.evaluate(() => {
      const bridge = (window as unknown as { llamaOrch?: Record<string, unknown> }).llamaOrch;
      return bridge ? { keys: Object.keys(bridge).sort(), worker: Object.keys(bridge.localWorker as object).sort() } : null;
    });
    expect(shape).toEqual({ keys: ["chooseModelFile", "getConnection", "localWorker", "onLocalWorkerStatus", "openModelsFolder", "revealLogs"], worker: ["start", "status", "stop"] });
    const result = await page.evaluate(() => (window as unknown as { llamaOrch: LlamaOrchDesktopApi }).llamaOrch.getConnection());
    expect(result.ok).toBe(true);
    connection = (result as Extract<IpcResult<ConnectionInfo>, { ok: true }>).value;
    expect(connection.baseUrl).toBe(origin);
    expect(connection.token.length).toBeGreaterThanOrEqual(32);
    expect(connection.tokenSource).toBe("generated");
    expect(connection.tokenPath).toBe(join(userData, "orchestrator", "api-token"));
  });

  it("gives the page no Node: window.require, process and module are undefined", async () => {
    expect(await page.evaluate(() => [typeof (window as unknown as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process, typeof (globalThis as { module?: unknown }).module])).toEqual(["undefined", "undefined", "undefined"]);
  });

  it("runs the renderer sandboxed with context isolation, no node integration, web security on", async () => {
    // getLastWebPreferences is Electron's (untyped) record of what the renderer actually got; the shell's
    // own record of what it passed stands in where a version lacks it.
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      type Prefs = { sandbox?: boolean; contextIsolation?: boolean; nodeIntegration?: boolean; webSecurity?: boolean; webviewTag?: boolean };
      const contents = BrowserWindow.getAllWindows()[0]?.webContents as unknown as { getLastWebPreferences?: () => Prefs } | undefined;
      const p = contents?.getLastWebPreferences?.() ?? (globalThis as unknown as { __llamaOrchShell: { webPreferences(): Prefs | null } }).__llamaOrchShell.webPreferences();
      return p ? { sandbox: p.sandbox, contextIsolation: p.contextIsolation, nodeIntegration: p.nodeIntegration, webSecurity: p.webSecurity, webviewTag: p.webviewTag } : null;
    });
    expect(prefs).toEqual({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
  });

  it("enforces a strict CSP (header present, inline script blocked)", async () => {
    const header = await page.evaluate(() => fetch("/").then((r) => r.headers.get("content-security-policy")));
    expect(header).toContain("script-src 'self'");
    expect(header).toContain("object-src 'none'");
    const ran = await page.evaluate(async () => {
      const script = document.createElement("script");
      script.textContent = "window.__inlineRan = true";
      document.head.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
  });

  it("blocks navigation away and window.open", async () => {
    const opened = await page.evaluate(() => window.open("https://example.com/") === null);
    expect(opened).toBe(true);
    await page.evaluate(() => {
      window.location.href = "http://example.invalid/";
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(new URL(page.url()).origin).toBe(origin);
    expect(app.windows()).toHaveLength(1);
  });

  it("has a tray icon with the cluster status", async () => {
    const tray = await app.evaluate(() => (globalThis as unknown as { __llamaOrchShell: ShellDiagnostics }).__llamaOrchShell.tray());
    expect(tray.exists).toBe(true);
    expect(tray.tooltip).toMatch(/^llama-orch — /);
  });

  it("embeds an orchestrator that answers /health", async () => {
    const res = await fetch(`${origin}/health`);
    expect(res.status).toBe(200);
  });

  it("one click starts a local worker that registers with the orchestrator", async () => {
    const started = await page.evaluate(async () => {
      const bridge = (window as unknown as { llamaOrch: LlamaOrchDesktopApi }).llamaOrch;
      const seen: string[] = [];
      (window as unknown as { __statuses: string[] }).__statuses = seen;
      bridge.onLocalWorkerStatus((s) => seen.push(s.state));
      return bridge.localWorker.start();
    });
    expect(started.ok).toBe(true);
    const deadline = Date.now() + 60_000;
    let online = false;
    while (Date.now() < deadline && !online) {
      const nodes = NodeListResponseSchema.parse(await (await api("/v2/nodes")).json()).nodes;
      online = nodes.some((n) => n.node_id === "local" && n.status === "Online");
      if (!online) await new Promise((r) => setTimeout(r, 250));
    }
    expect(online).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses)).toContain("running");
  }, 90_000);

  it("is a single instance: a second launch with the same userData exits", async () => {
    const second = spawn(binary, args(), { env, cwd: REPO_ROOT, stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        second.kill("SIGKILL");
        resolve(-1);
      }, 30_000);
      second.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(app.windows()).toHaveLength(1);
  }, 40_000);

  it("quit stops the local worker and the embedded orchestrator", async () => {
    const worker = await app.evaluate(() => (globalThis as unknown as { __llamaOrchShell: ShellDiagnostics }).__llamaOrchShell.localWorker());
    const pid = worker?.pid ?? null;
    await app.close();
    await expect(fetch(`${origin}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    if (pid !== null) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  }, 30_000);
});

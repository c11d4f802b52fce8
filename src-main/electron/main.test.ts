// main.ts wired against a mocked electron module (no Electron binary here): it must take the lock with the
// overridden userData, embed a real orchestrator on loopback, open a hardened window on the one-time login
// URL, register exactly the contract's IPC channels behind the sender check, offer the one-click worker on
// first run and remember the answer, and close the orchestrator on quit.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, IPC_RESULT_SCHEMAS } from "../../src-shared/ipc/ipc-contract.js";

type Handler = (...args: unknown[]) => unknown;

const m = vi.hoisted(() => {
  const appHandlers = new Map<string, Handler[]>();
  const ipcHandlers = new Map<string, Handler>();
  const windows: FakeWindow[] = [];
  const paths: Record<string, string> = {};
  class FakeWebContents {
    handlers = new Map<string, Handler[]>();
    sent: [string, unknown][] = [];
    openHandler: Handler | null = null;
    on(event: string, fn: Handler) {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Handler) {
      return this.on(event, fn);
    }
    setWindowOpenHandler(fn: Handler) {
      this.openHandler = fn;
    }
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    isLoading() {
      return false;
    }
    reload() {}
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.handlers.get(event) ?? []) fn(...args);
    }
  }
  class FakeWindow {
    webContents = new FakeWebContents();
    loaded: string[] = [];
    destroyed = false;
    handlers = new Map<string, Handler[]>();
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this);
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    on(event: string, fn: Handler) {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Handler) {
      return this.on(event, fn);
    }
    isDestroyed() {
      return this.destroyed;
    }
    isMinimized() {
      return false;
    }
    isMaximized() {
      return false;
    }
    getNormalBounds() {
      return { x: 10, y: 20, width: 1300, height: 850 };
    }
    maximize() {}
    restore() {}
    show() {}
    focus() {}
  }
  const headerListeners: Handler[] = [];
  const permissionHandlers: Handler[] = [];
  return {
    appHandlers,
    ipcHandlers,
    windows,
    paths,
    FakeWindow,
    headerListeners,
    permissionHandlers,
    lock: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
    showMessageBox: vi.fn(async () => ({ response: 1, checkboxChecked: false })),
    menus: [] as unknown[],
    trays: [] as { tooltip: string; menu: unknown }[],
  };
});

vi.mock("electron", () => {
  const app = {
    isPackaged: false,
    setPath: (name: string, value: string) => void (m.paths[name] = value),
    getPath: (name: string) => m.paths[name] ?? join(m.paths.userData ?? tmpdir(), name),
    setName: () => {},
    setAppUserModelId: () => {},
    requestSingleInstanceLock: m.lock,
    on: (event: string, fn: Handler) => void m.appHandlers.set(event, [...(m.appHandlers.get(event) ?? []), fn]),
    whenReady: () => Promise.resolve(),
    isReady: () => true,
    quit: m.quit,
    exit: m.exit,
  };
  const ses = {
    webRequest: { onHeadersReceived: (fn: Handler) => m.headerListeners.push(fn) },
    setPermissionRequestHandler: (fn: Handler) => m.permissionHandlers.push(fn),
    setPermissionCheckHandler: () => {},
    setDevicePermissionHandler: () => {},
  };
  class Tray {
    entry = { tooltip: "", menu: null as unknown };
    constructor() {
      m.trays.push(this.entry);
    }
    on() {}
    setToolTip(t: string) {
      this.entry.tooltip = t;
    }
    setContextMenu(menu: unknown) {
      this.entry.menu = menu;
    }
    isDestroyed() {
      return false;
    }
    destroy() {}
  }
  const image = { isEmpty: () => false, resize: () => image };
  return {
    app,
    BrowserWindow: m.FakeWindow,
    Menu: { buildFromTemplate: (t: unknown) => ({ template: t }), setApplicationMenu: (menu: unknown) => m.menus.push(menu) },
    Tray,
    nativeImage: { createFromPath: () => image, createEmpty: () => image },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: { fromPartition: () => ses },
    shell: { openPath: vi.fn(async () => ""), openExternal: vi.fn() },
    dialog: { showMessageBox: m.showMessageBox, showErrorBox: vi.fn(), showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] })) },
    ipcMain: {
      handle: (channel: string, fn: Handler) => void m.ipcHandlers.set(channel, fn),
      removeHandler: (channel: string) => void m.ipcHandlers.delete(channel),
    },
  };
});

let userData: string;
const savedEnv = { ...process.env };
// main.ts installs process-wide handlers (signals → quit, crash logging); they must not outlive this file
// in the shared test worker.
const PROCESS_EVENTS = ["SIGINT", "SIGTERM", "uncaughtException", "unhandledRejection"];
const events = process as unknown as { listeners(e: string): Handler[]; removeListener(e: string, fn: Handler): void };
const listenersBefore = new Map(PROCESS_EVENTS.map((e) => [e, new Set(events.listeners(e))]));

beforeAll(async () => {
  userData = mkdtempSync(join(tmpdir(), "llorch-main-"));
  process.env.LLORCH_USER_DATA_DIR = userData;
  process.env.ORCHESTRATORD_BIND_ADDR = "127.0.0.1:0";
  process.env.LLORCH_LOG_LEVEL = "warn";
  delete process.env.LLORCH_DATA_DIR;
  delete process.env.LLORCH_API_TOKEN;
  m.paths.logs = join(userData, "logs");
  m.paths.documents = join(userData, "Documents");
  // The local worker's models folder follows the worker's default under this (fake) home.
  m.paths.home = join(userData, "home");
  delete process.env.XDG_CACHE_HOME;
  delete process.env.POOL_MANAGERD_MODELS_DIR;
  await import("./main.js");
  const deadline = Date.now() + 20_000;
  while (m.windows.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}, 30_000);

afterAll(() => {
  for (const event of PROCESS_EVENTS) {
    for (const fn of events.listeners(event)) if (!listenersBefore.get(event)?.has(fn)) events.removeListener(event, fn);
  }
  process.env = savedEnv;
  rmSync(userData, { recursive: true, force: true });
});

function win() {
  const w = m.windows[0];
  if (!w) throw new Error("no window was created");
  return w;
}
function origin(): string {
  return new URL(win().loaded[0] as string).origin;
}

describe("Electron main process (mocked electron)", () => {
  it("applies the userData override before taking the single-instance lock", () => {
    expect(m.paths.userData).toBe(userData);
    expect(m.lock).toHaveBeenCalledOnce();
    expect(m.appHandlers.has("second-instance")).toBe(true);
  });

  it("embeds the orchestrator on loopback with its data and generated token under userData", async () => {
    expect(origin()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${origin()}/health`)).status).toBe(200);
    expect(existsSync(join(userData, "orchestrator", "api-token"))).toBe(true);
    expect(existsSync(join(userData, "orchestrator", "orchestrator.db"))).toBe(true);
  });

  it("opens one hardened window on the one-time login URL, which logs the dashboard in", async () => {
    expect(m.windows).toHaveLength(1);
    const prefs = win().options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    const login = win().loaded[0] as string;
    expect(login).toMatch(/\/login\?code=/);
    const res = await fetch(login, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect((await fetch(login, { redirect: "manual" })).status, "the code is one-time").toBe(401);
  });

  it("blocks navigation away from the orchestrator's origin and every window.open", () => {
    const contents = win().webContents;
    const prevent = vi.fn();
    contents.emit("will-navigate", { preventDefault: prevent }, "https://evil.example/");
    expect(prevent).toHaveBeenCalledOnce();
    const allow = vi.fn();
    contents.emit("will-navigate", { preventDefault: allow }, `${origin()}/#/nodes`);
    expect(allow).not.toHaveBeenCalled();
    expect(contents.openHandler?.({ url: "https://evil.example/" })).toEqual({ action: "deny" });
    expect(contents.openHandler?.({ url: `${origin()}/` })).toEqual({ action: "deny" });
  });

  it("adds the CSP header to the orchestrator's responses and denies permissions", () => {
    const listener = m.headerListeners[0];
    const done = vi.fn();
    listener?.({ url: `${origin()}/`, responseHeaders: { "Content-Type": ["text/html"] } }, done);
    expect(done.mock.calls[0]?.[0]).toMatchObject({ responseHeaders: { "Content-Security-Policy": [expect.stringContaining("script-src 'self'")] } });
    const decide = vi.fn();
    m.permissionHandlers[0]?.({}, "media", decide);
    expect(decide).toHaveBeenCalledWith(false);
  });

  it("registers exactly the contract's invoke channels, behind the sender check", async () => {
    expect([...m.ipcHandlers.keys()].sort()).toEqual(Object.keys(IPC_RESULT_SCHEMAS).sort());
    const getConnection = m.ipcHandlers.get(IPC_CHANNELS.getConnection) as Handler;
    const trusted = await getConnection({ senderFrame: { url: `${origin()}/`, parent: null } });
    expect(trusted).toMatchObject({ ok: true, value: { baseUrl: origin(), tokenSource: "generated", tokenPath: join(userData, "orchestrator", "api-token") } });
    const token = (trusted as { value: { token: string } }).value.token;
    expect((await fetch(`${origin()}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(await getConnection({ senderFrame: { url: "https://evil.example/", parent: null } })).toMatchObject({ ok: false, error: { code: "FORBIDDEN_SENDER" } });
  });

  it("first run offers 'Run on this machine' and remembers 'Not now'", async () => {
    const deadline = Date.now() + 5000;
    while (!existsSync(join(userData, "shell-settings.json")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(m.showMessageBox).toHaveBeenCalledOnce();
    const options = (m.showMessageBox.mock.calls[0] as unknown[]).at(-1) as { buttons: string[] };
    expect(options.buttons[0]).toBe("Run on this machine");
    expect(JSON.parse(readFileSync(join(userData, "shell-settings.json"), "utf8"))).toMatchObject({ localWorker: "off" });
  });

  it("remembers the window bounds when the window closes", () => {
    for (const fn of win().handlers.get("close") ?? []) fn();
    expect(JSON.parse(readFileSync(join(userData, "window-state.json"), "utf8"))).toEqual({ x: 10, y: 20, width: 1300, height: 850, maximized: false });
  });

  it("shows the cluster status in the tray and builds the app menu", () => {
    expect(m.trays).toHaveLength(1);
    expect(m.trays[0]?.tooltip).toBe("llama-orch — No worker nodes yet");
    expect(m.menus.length).toBeGreaterThan(0);
  });

  it("quit stops the orchestrator within the grace period, then quits", async () => {
    const url = origin();
    const beforeQuit = m.appHandlers.get("before-quit")?.[0] as Handler;
    const event = { preventDefault: vi.fn() };
    beforeQuit(event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    const deadline = Date.now() + 10_000;
    while (m.quit.mock.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(m.quit).toHaveBeenCalled();
    await expect(fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    const again = { preventDefault: vi.fn() };
    beforeQuit(again);
    expect(again.preventDefault, "the second before-quit lets the app go").not.toHaveBeenCalled();
  });
});

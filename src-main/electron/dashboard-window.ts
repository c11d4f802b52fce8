// The dashboard window and its session, hardened (DESIGN.md §4; electron security checklist): context
// isolation, sandbox, no node integration, web security on, CSP header, navigation and new windows
// blocked (allowlisted https links open in the browser), every permission request denied.
import { BrowserWindow, screen, session, shell, type Session, type WebPreferences } from "electron";
import type { Logger } from "pino";
import { buildContentSecurityPolicy, isOrchestratorResponse, withCspHeader } from "./csp.js";
import { externalLinkDecision, isAllowedNavigation, isPermissionAllowed } from "./navigation.js";
import { MIN_WINDOW_SIZE, loadWindowState, restoreBounds, saveWindowState, stateFromWindow } from "./window-state.js";

/** The dashboard's own session partition, so its hardening never depends on the default session. */
export const DASHBOARD_PARTITION = "persist:llama-orch-dashboard";

export function hardenDashboardSession(origin: string, logger: Logger): Session {
  const ses = session.fromPartition(DASHBOARD_PARTITION);
  const csp = buildContentSecurityPolicy();
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!isOrchestratorResponse(details.url, origin)) {
      callback({});
      return;
    }
    callback({ responseHeaders: withCspHeader(details.responseHeaders, csp) });
  });
  ses.setPermissionRequestHandler((_contents, permission, callback) => {
    const allowed = isPermissionAllowed(permission);
    if (!allowed) logger.info({ permission }, "dashboard permission request denied");
    callback(allowed);
  });
  ses.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
  ses.setDevicePermissionHandler(() => false);
  return ses;
}

let lastWebPreferences: WebPreferences | null = null;

/** The web preferences the dashboard window was created with (diagnostics for the E2E specs). */
export function dashboardWebPreferences(): WebPreferences | null {
  return lastWebPreferences;
}

export interface DashboardWindowOptions {
  origin: string;
  preloadPath: string;
  windowStateFile: string;
  iconPath: string | undefined;
  isPackaged: boolean;
  logger: Logger;
  title: string;
}

/** A link leaving the dashboard: allowlisted https opens in the user's browser, anything else is dropped. */
function handleExternal(url: string, logger: Logger, what: string): void {
  if (externalLinkDecision(url) === "open-external") {
    logger.info({ url }, `${what}: opened in the default browser`);
    void shell.openExternal(url);
  } else {
    logger.warn({ url }, `${what}: blocked`);
  }
}

export function createDashboardWindow(opts: DashboardWindowOptions): BrowserWindow {
  const state = loadWindowState(opts.windowStateFile);
  const bounds = restoreBounds(state, screen.getAllDisplays().map((d) => d.workArea));
  const webPreferences = {
    preload: opts.preloadPath,
    partition: DASHBOARD_PARTITION,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    devTools: !opts.isPackaged,
  } satisfies WebPreferences;
  lastWebPreferences = webPreferences;
  const win = new BrowserWindow({
    ...bounds,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: opts.title,
    show: false,
    backgroundColor: "#111318",
    ...(opts.iconPath ? { icon: opts.iconPath } : {}),
    webPreferences,
  });
  if (state.maximized) win.maximize();
  win.once("ready-to-show", () => win.show());

  const contents = win.webContents;
  contents.on("will-navigate", (event, url) => {
    if (isAllowedNavigation(url, opts.origin)) return;
    event.preventDefault();
    handleExternal(url, opts.logger, "navigation away from the dashboard");
  });
  contents.on("will-redirect", (event, url) => {
    if (isAllowedNavigation(url, opts.origin)) return;
    event.preventDefault();
    opts.logger.warn({ url }, "blocked redirect away from the dashboard");
  });
  contents.setWindowOpenHandler(({ url }) => {
    handleExternal(url, opts.logger, "window.open");
    return { action: "deny" };
  });
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.on("render-process-gone", (_event, details) => {
    opts.logger.error({ reason: details.reason, exit_code: details.exitCode }, "dashboard renderer gone");
    if (details.reason !== "clean-exit" && !win.isDestroyed()) setTimeout(() => !win.isDestroyed() && contents.reload(), 1000);
  });
  contents.on("console-message", (event) => {
    if (event.level === "error") opts.logger.warn({ source: event.sourceId, line: event.lineNumber }, `dashboard console: ${event.message}`);
  });

  let saveTimer: NodeJS.Timeout | null = null;
  const save = () => {
    if (win.isDestroyed()) return;
    try {
      saveWindowState(opts.windowStateFile, stateFromWindow(win.getNormalBounds(), win.isMaximized()));
    } catch (err) {
      opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not save the window state");
    }
  };
  const saveSoon = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 500);
  };
  for (const event of ["resize", "move", "maximize", "unmaximize"] as const) win.on(event as "resize", saveSoon);
  win.on("close", () => {
    if (saveTimer) clearTimeout(saveTimer);
    save();
  });
  return win;
}

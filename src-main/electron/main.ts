// Electron main process: the thin desktop shell around the same orchestrator the headless entry runs.
// It embeds the orchestrator on loopback, opens the dashboard it serves (logged in with a one-time code,
// exactly as in a browser), and adds what only a desktop app can: tray, menu, file dialogs, the one-click
// local worker. Everything that can be pure lives in its own tested module; this file wires them
// (over ~350 lines because it is the shell's composition root: every wire to Electron is here).
import { createWriteStream, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Menu, app, dialog, ipcMain, shell, type BrowserWindow } from "electron";
import { pino, type DestinationStream, type Logger } from "pino";
import { IPC_CHANNELS, type ConnectionInfo, type DashboardRoute, type LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";
import { ConfigError, StartupRefused, createOrchestrator, ignoredOrchestratorEnv, loadOrchestratorConfigWithPins, type Orchestrator } from "../orchestrator/index.js";
import { LocalWorkerSupervisor } from "../local-worker/local-worker-supervisor.js";
import { buildAppMenuTemplate } from "./app-menu.js";
import { modelsDirFor, shellPaths, userDataOverride, type ShellPaths } from "./app-paths.js";
import { chooseBindAddr } from "./bind-address.js";
import { trustsClusterCertificate } from "./cluster-certificate.js";
import { createDashboardWindow, dashboardWebPreferences, hardenDashboardSession } from "./dashboard-window.js";
import { IpcRegistrar } from "./ipc-registrar.js";
import { LocalWorkerController } from "./local-worker-controller.js";
import { windowOrigin } from "./navigation.js";
import { loadShellSettings, saveShellSettings, type ShellSettings } from "./shell-settings.js";
import { registerShellIpc } from "./shell-ipc.js";
import { ShellTray } from "./shell-tray.js";
import { countNodes } from "./tray-menu.js";

const APP_NAME = "llama-orch";
const LOCAL_NODE_ID = "local";
/** Bounded graceful shutdown: local worker drain + orchestrator close, then quit regardless. */
const QUIT_GRACE_MS = 8_000;
const PRELOAD_PATH = fileURLToPath(new URL("./preload.cjs", import.meta.url));
const ICON_PATH = fileURLToPath(new URL("../../../assets/icon.png", import.meta.url));

// userData must be final before the single-instance lock (it is keyed on it) and before `ready`.
const userDataDir = userDataOverride(process.argv, process.env);
if (userDataDir !== null) app.setPath("userData", userDataDir);
app.setName(APP_NAME);
if (process.platform === "win32") app.setAppUserModelId("dev.llama-orch.desktop");

interface Shell {
  paths: ShellPaths;
  logger: Logger;
  orchestrator: Orchestrator;
  origin: string;
  settings: ShellSettings;
  worker: LocalWorkerController;
  tray: ShellTray | null;
  registrar: IpcRegistrar;
  window: BrowserWindow | null;
}

let current: Shell | null = null;
let quitPhase: "running" | "cleaning" | "done" = "running";

if (!app.requestSingleInstanceLock()) {
  // Another instance owns this userData: it focuses its window (second-instance) and this one leaves.
  console.log(`${APP_NAME}: already running (userData ${app.getPath("userData")}); focusing the existing window.`);
  app.exit(0);
} else {
  app.on("second-instance", () => openDashboard());
  app.on("activate", () => openDashboard());
  app.on("window-all-closed", () => {
    // Keep serving from the tray (the orchestrator and local worker keep running) unless told not to.
    if (!current?.settings.keepRunningInTray || current.tray === null) app.quit();
  });
  app.on("before-quit", (event) => {
    if (quitPhase === "done" || current === null) return;
    event.preventDefault();
    if (quitPhase === "cleaning") return;
    quitPhase = "cleaning";
    void shutdown(current).finally(() => {
      quitPhase = "done";
      app.quit();
    });
  });
  app.on("web-contents-created", (_event, contents) => {
    // Belt and braces for any web contents, not only the dashboard window.
    contents.on("will-attach-webview", (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: "deny" }));
  });
  // With TLS on, the embedded orchestrator's certificate comes from its own cluster CA, which no
  // system store holds: trust it for the orchestrator's origin only, pinned to that CA (docs/SECURITY.md).
  app.on("certificate-error", (event, _contents, url, _error, certificate, callback) => {
    const s = current;
    if (s !== null && trustsClusterCertificate(url, s.origin, certificate, s.orchestrator.caFingerprint)) {
      event.preventDefault();
      callback(true);
      return;
    }
    callback(false);
  });
  app.on("child-process-gone", (_event, details) => current?.logger.warn({ type: details.type, reason: details.reason, exit_code: details.exitCode }, "an Electron child process is gone"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => app.quit());
  process.on("uncaughtException", (err) => {
    current?.logger.fatal({ err: err.stack ?? err.message }, "uncaught exception in the main process");
    console.error(err);
  });
  process.on("unhandledRejection", (reason) => current?.logger.error({ err: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) }, "unhandled rejection in the main process"));

  app.whenReady().then(start, (err: unknown) => fatal(err));
}

function fatal(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`${APP_NAME}: ${err instanceof Error ? (err.stack ?? message) : message}`);
  if (app.isReady()) dialog.showErrorBox(`${APP_NAME} could not start`, message);
  app.exit(1);
}

function logDestination(paths: ShellPaths): DestinationStream {
  const file = pino.destination({ dest: paths.mainLog, mkdir: true, sync: false });
  if (app.isPackaged) return file;
  return pino.multistream([{ stream: file }, { stream: pino.destination({ dest: 1, sync: false }) }]) as unknown as DestinationStream;
}

async function start(): Promise<void> {
  const paths = shellPaths({ userData: app.getPath("userData"), logs: app.getPath("logs"), home: app.getPath("home"), env: process.env });
  const loaded = loadShellSettings(paths.shellSettings);
  let orchestrator: Orchestrator;
  try {
    const env = process.env;
    const { config: base, pinned } = loadOrchestratorConfigWithPins({ env, overrides: env.LLORCH_DATA_DIR ? {} : { data_dir: paths.orchestratorData } });
    const { bindAddr, fallback } = await chooseBindAddr(base.bind_addr);
    const config = fallback ? { ...base, bind_addr: bindAddr } : base;
    orchestrator = createOrchestrator({ config, pinned, logDestination: logDestination(paths) });
    if (fallback) orchestrator.logger.warn({ configured: base.bind_addr, bind_addr: bindAddr }, "the configured port is in use; the desktop orchestrator listens on a free port instead");
    for (const line of ignoredOrchestratorEnv(env)) orchestrator.logger.warn({ event: "env_ignored" }, line);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupRefused) return fatal(err);
    throw err;
  }
  const url = await orchestrator.listen();
  const origin = windowOrigin(url);
  const logger = orchestrator.logger.child({ component: "desktop" });
  if (loaded.problem) logger.warn({ problem: loaded.problem }, "shell settings unreadable; using defaults");
  // Closures below read the settings through `state`, assigned before any of them runs.
  // eslint-disable-next-line prefer-const
  let state: Shell;

  const workerLog = createWriteStream(join(paths.logsDir, "local-worker.log"), { flags: "a", mode: 0o600 });
  const worker = new LocalWorkerController({
    nodeId: LOCAL_NODE_ID,
    modelsDir: () => modelsDirFor(state.settings.modelsDir, paths, process.env),
    supervisorOptions: () => ({
      orchestratorUrl: origin,
      token: orchestrator.apiToken.token,
      caFingerprint: orchestrator.caFingerprint,
      dataDir: paths.orchestratorData,
      demoModelWhenEmpty: true,
      logger: orchestrator.logger.child({ component: "local-worker" }),
      // The worker runs as plain Node inside Electron's own binary (no separate Node install needed).
      execPath: process.execPath,
      env: { ELECTRON_RUN_AS_NODE: "1" },
      // The worker's own JSON log lines, beside main.log in the platform logs folder.
      onOutput: (line: string) => workerLog.write(`${line}\n`),
    }),
    createSupervisor: (options) => new LocalWorkerSupervisor(options),
    nodeStatus: (nodeId) => orchestrator.nodeStatus(nodeId),
    choice: () => state.settings.localWorker,
    logger,
  });

  hardenDashboardSession(origin, logger);
  const registrar = new IpcRegistrar(ipcMain, {
    origin: () => origin,
    onRejected: (channel, error) => logger.warn({ channel, code: error.code }, `IPC ${channel} refused: ${error.message}`),
  });
  const connection = (): ConnectionInfo => ({
    baseUrl: origin,
    token: orchestrator.apiToken.token,
    tokenSource: orchestrator.apiToken.source,
    tokenPath: orchestrator.apiToken.path,
    tokenFp6: orchestrator.apiToken.fp6,
  });
  registerShellIpc(registrar, {
    connection,
    modelsDir: () => modelsDirFor(state.settings.modelsDir, paths, process.env),
    logsDir: paths.logsDir,
    openPath: (path) => shell.openPath(path),
    chooseGgufFile: () => chooseGgufFile(),
    localWorker: { start: () => worker.start(), stop: () => worker.stop(), status: () => worker.status() },
    rememberLocalWorkerChoice: (choice) => {
      state.settings = { ...state.settings, localWorker: choice };
      persistSettings(state);
    },
  });

  state = { paths, logger, orchestrator, origin, settings: loaded.settings, worker, tray: null, registrar, window: null };
  const shellState = state;
  current = shellState;

  try {
    shellState.tray = new ShellTray(existsSync(ICON_PATH) ? ICON_PATH : undefined, APP_NAME, {
      openDashboard: () => openDashboard(),
      startLocalWorker: () => void startLocalWorker("tray"),
      stopLocalWorker: () => void stopLocalWorker("tray"),
      quit: () => app.quit(),
    });
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, "no system tray here; closing the window quits the app");
  }

  let refreshTimer: NodeJS.Timeout | null = null;
  const refreshSoon = () => {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = null;
      refreshStatus();
      worker.notify();
    }, 250);
  };
  orchestrator.onNodesChanged(refreshSoon);
  worker.on("status", (status) => {
    pushLocalWorkerStatus(status);
    refreshStatus();
  });
  refreshStatus();

  exposeDiagnostics();
  openDashboard();
  logger.info({ url: origin, user_data: paths.userData, logs: paths.logsDir, token_fp6: orchestrator.apiToken.fp6 }, "desktop app ready");

  if (shellState.settings.localWorker === "on") {
    void startLocalWorker("remembered choice");
  } else if (shellState.settings.localWorker === "ask") {
    void offerLocalWorker();
  }
}

let lastMenuKey = "";

/** Tray and menu reflect the cluster and the local worker. */
function refreshStatus(): void {
  const s = current;
  if (!s) return;
  const counts = countNodes(s.orchestrator.nodes());
  const workerState = s.worker.status().state;
  s.tray?.update(counts, workerState);
  // The application menu only shows whether the local worker is active: rebuild it when that changes.
  const menuKey = String(s.worker.active);
  if (menuKey === lastMenuKey) return;
  lastMenuKey = menuKey;
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      buildAppMenuTemplate({
        platform: process.platform,
        appName: APP_NAME,
        isPackaged: app.isPackaged,
        localWorkerActive: s.worker.active,
        actions: {
          openSettings: () => navigate("#/settings"),
          openLogsView: () => navigate("#/logs"),
          revealLogFiles: () => void shell.openPath(s.paths.logsDir),
          openModelsFolder: () => void shell.openPath(modelsDirFor(s.settings.modelsDir, s.paths, process.env)),
          addModelFile: () => void addModelFileFromMenu(),
          startLocalWorker: () => void startLocalWorker("menu"),
          stopLocalWorker: () => void stopLocalWorker("menu"),
        },
      }),
    ),
  );
}

function pushLocalWorkerStatus(status: LocalWorkerStatus): void {
  const win = current?.window;
  if (win && !win.isDestroyed()) win.webContents.send(IPC_CHANNELS.localWorkerStatusChanged, status);
}

/** Shows the dashboard window, creating it (and logging it in with a fresh one-time code) if needed. */
function openDashboard(): void {
  const s = current;
  if (!s || quitPhase !== "running") return;
  if (s.window && !s.window.isDestroyed()) {
    if (s.window.isMinimized()) s.window.restore();
    s.window.show();
    s.window.focus();
    return;
  }
  const win = createDashboardWindow({
    origin: s.origin,
    preloadPath: PRELOAD_PATH,
    windowStateFile: s.paths.windowState,
    iconPath: existsSync(ICON_PATH) ? ICON_PATH : undefined,
    isPackaged: app.isPackaged,
    logger: s.logger,
    title: APP_NAME,
  });
  s.window = win;
  win.on("closed", () => {
    if (s.window === win) s.window = null;
  });
  void win.loadURL(`${s.origin}/login?code=${encodeURIComponent(s.orchestrator.issueLoginCode())}`).catch((err: unknown) => s.logger.error({ err: err instanceof Error ? err.message : String(err) }, "the dashboard failed to load"));
}

function navigate(route: DashboardRoute): void {
  openDashboard();
  const win = current?.window;
  if (!win || win.isDestroyed()) return;
  const send = () => win.webContents.send(IPC_CHANNELS.navigate, route);
  if (win.webContents.isLoading()) win.webContents.once("did-finish-load", send);
  else send();
}

async function startLocalWorker(from: string): Promise<void> {
  const s = current;
  if (!s) return;
  if (from !== "remembered choice") {
    s.settings = { ...s.settings, localWorker: "on" };
    persistSettings(s);
  }
  try {
    await s.worker.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    s.logger.error({ from, err: message }, "could not start the local worker");
    if (from !== "ipc") dialog.showErrorBox("The local worker could not start", message);
  }
}

async function stopLocalWorker(from: string): Promise<void> {
  const s = current;
  if (!s) return;
  s.settings = { ...s.settings, localWorker: "off" };
  persistSettings(s);
  await s.worker.stop();
  s.logger.info({ from }, "local worker stopped by the user");
}

function persistSettings(s: Shell): void {
  try {
    saveShellSettings(s.paths.shellSettings, s.settings);
  } catch (err) {
    s.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not save the shell settings");
  }
}

/** First run: offer the one-click home profile, and remember the answer. */
async function offerLocalWorker(): Promise<void> {
  const s = current;
  if (!s) return;
  const modelsDir = modelsDirFor(s.settings.modelsDir, s.paths, process.env);
  const options = {
    type: "question" as const,
    title: "Run models on this machine?",
    message: "Run a worker on this machine?",
    detail:
      `llama-orch can run models on this computer: it starts a local worker that serves the GGUF models in\n${modelsDir}\n` +
      "and registers it with this dashboard. When the folder is empty, a small demo model is generated so you can try it at once.\n\n" +
      "You can change this any time from the tray or the File menu.",
    buttons: ["Run on this machine", "Not now"],
    defaultId: 0,
    cancelId: 1,
    noLink: true,
  };
  const win = s.window;
  const { response } = win && !win.isDestroyed() ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
  if (response === 0) {
    await startLocalWorker("first-run offer");
  } else {
    s.settings = { ...s.settings, localWorker: "off" };
    persistSettings(s);
    refreshStatus();
  }
}

async function chooseGgufFile(): Promise<string | null> {
  const win = current?.window;
  const options: Electron.OpenDialogOptions = {
    title: "Add a GGUF model",
    buttonLabel: "Add model",
    properties: ["openFile"],
    filters: [{ name: "GGUF models", extensions: ["gguf"] }],
  };
  const result = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function addModelFileFromMenu(): Promise<void> {
  const s = current;
  if (!s) return;
  const { copyModelIntoFolder } = await import("./model-file.js");
  try {
    const chosen = await chooseGgufFile();
    if (chosen === null) return;
    const copied = await copyModelIntoFolder(chosen, modelsDirFor(s.settings.modelsDir, s.paths, process.env));
    s.logger.info({ path: copied.path, bytes: copied.bytes }, "model file added to the models folder");
  } catch (err) {
    dialog.showErrorBox("The model could not be added", err instanceof Error ? err.message : String(err));
  }
}

/** Main-process-only diagnostics for the Electron E2E specs (`electronApp.evaluate`); never reachable from a page. */
function exposeDiagnostics(): void {
  (globalThis as { __llamaOrchShell?: unknown }).__llamaOrchShell = {
    origin: () => current?.origin ?? null,
    tray: () => current?.tray?.info() ?? { exists: false, tooltip: "" },
    localWorker: () => current?.worker.status() ?? null,
    webPreferences: () => dashboardWebPreferences(),
  };
}

async function shutdown(s: Shell): Promise<void> {
  s.logger.info("quitting: stopping the local worker and the orchestrator");
  const graceful = (async () => {
    // The queue first: the local worker's leaving would fail every queued task (no node holds its model).
    s.orchestrator.closeQueue();
    await s.worker.stop(Math.min(QUIT_GRACE_MS - 1000, 5_000));
    await s.orchestrator.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), QUIT_GRACE_MS);
  });
  const outcome = await Promise.race([graceful.then(() => "ok" as const), timeout]).catch((err: unknown) => {
    s.logger.error({ err: err instanceof Error ? err.message : String(err) }, "error while shutting down");
    return "error" as const;
  });
  clearTimeout(timer);
  if (outcome === "timeout") s.logger.warn({ grace_ms: QUIT_GRACE_MS }, "shutdown took too long; quitting anyway");
  s.registrar.dispose();
  s.tray?.destroy();
  s.logger.flush();
}

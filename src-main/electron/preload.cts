// The dashboard window's preload (sandboxed, so CommonJS and `require("electron")` only). It exposes
// `window.llamaOrch`: a fixed set of verbs, each bound to one channel — never a generic invoke, never
// ipcRenderer itself, never the IPC event (which carries `sender`). Types come from the shared contract
// (type-only imports, erased); channel names are repeated here and checked against it at compile time.
// A sandboxed preload is CommonJS; under verbatimModuleSyntax that is written as import-require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require("electron");
import type { IpcRendererEvent } from "electron";
import type { DashboardRoute, IPC_CHANNELS, IpcResult, LlamaOrchDesktopApi, LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";

const { contextBridge, ipcRenderer } = electron;

const CHANNELS = {
  getConnection: "llama-orch:get-connection",
  openModelsFolder: "llama-orch:open-models-folder",
  chooseModelFile: "llama-orch:choose-model-file",
  revealLogs: "llama-orch:reveal-logs",
  localWorkerStart: "llama-orch:local-worker-start",
  localWorkerStop: "llama-orch:local-worker-stop",
  localWorkerStatus: "llama-orch:local-worker-status",
  localWorkerStatusChanged: "llama-orch:local-worker-status-changed",
  navigate: "llama-orch:navigate",
} as const satisfies typeof IPC_CHANNELS;

// The sandboxed preload has no DOM typings in this tsconfig; it needs only this.
declare const location: { hash: string };

const ROUTES: readonly DashboardRoute[] = ["#/overview", "#/nodes", "#/models", "#/settings", "#/logs"];

function call<T>(channel: string): () => Promise<IpcResult<T>> {
  return () => ipcRenderer.invoke(channel) as Promise<IpcResult<T>>;
}

const api: LlamaOrchDesktopApi = {
  getConnection: call(CHANNELS.getConnection),
  openModelsFolder: call(CHANNELS.openModelsFolder),
  chooseModelFile: call(CHANNELS.chooseModelFile),
  revealLogs: call(CHANNELS.revealLogs),
  localWorker: {
    start: call(CHANNELS.localWorkerStart),
    stop: call(CHANNELS.localWorkerStop),
    status: call(CHANNELS.localWorkerStatus),
  },
  onLocalWorkerStatus(listener) {
    if (typeof listener !== "function") throw new TypeError("onLocalWorkerStatus needs a function");
    const wrapped = (_event: IpcRendererEvent, status: LocalWorkerStatus) => listener(status);
    ipcRenderer.on(CHANNELS.localWorkerStatusChanged, wrapped);
    return () => {
      ipcRenderer.removeListener(CHANNELS.localWorkerStatusChanged, wrapped);
    };
  },
};

// Menu shortcuts (Settings, Logs) ask for a dashboard view: only known hash routes are applied.
ipcRenderer.on(CHANNELS.navigate, (_event: IpcRendererEvent, route: unknown) => {
  if (typeof route === "string" && (ROUTES as readonly string[]).includes(route)) location.hash = route.slice(1);
});

contextBridge.exposeInMainWorld("llamaOrch", Object.freeze({ ...api, localWorker: Object.freeze({ ...api.localWorker }) }));

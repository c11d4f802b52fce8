// The preload API's handlers in main, registered through the IpcRegistrar (sender check, zod arguments,
// result envelopes). Electron's dialog and shell come in as plain functions so this is testable.
import { mkdir } from "node:fs/promises";
import { IPC_CHANNELS, NoArgsSchema, type ChooseModelResult, type ConnectionInfo, type FolderResult, type LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";
import { ShellError, type IpcRegistrar } from "./ipc-registrar.js";
import { copyModelIntoFolder } from "./model-file.js";

export interface ShellIpcDeps {
  connection(): ConnectionInfo;
  modelsDir(): string;
  logsDir: string;
  /** shell.openPath: resolves "" on success, else an error message. */
  openPath(path: string): Promise<string>;
  /** A native "open file" dialog for .gguf files: the chosen path, or null when cancelled. */
  chooseGgufFile(): Promise<string | null>;
  localWorker: {
    start(): Promise<LocalWorkerStatus>;
    stop(): Promise<LocalWorkerStatus>;
    status(): LocalWorkerStatus;
  };
  /** Called after the user started/stopped the worker from the dashboard (remember the choice). */
  rememberLocalWorkerChoice(choice: "on" | "off"): void;
}

async function openFolder(deps: ShellIpcDeps, path: string): Promise<FolderResult> {
  await mkdir(path, { recursive: true });
  const error = await deps.openPath(path);
  if (error !== "") throw new ShellError("OS_ERROR", `cannot open ${path}: ${error}`);
  return { path };
}

export function registerShellIpc(registrar: IpcRegistrar, deps: ShellIpcDeps): void {
  registrar.handle(IPC_CHANNELS.getConnection, NoArgsSchema, () => deps.connection());
  registrar.handle(IPC_CHANNELS.openModelsFolder, NoArgsSchema, () => openFolder(deps, deps.modelsDir()));
  registrar.handle(IPC_CHANNELS.revealLogs, NoArgsSchema, () => openFolder(deps, deps.logsDir));
  registrar.handle(IPC_CHANNELS.chooseModelFile, NoArgsSchema, async (): Promise<ChooseModelResult> => {
    const chosen = await deps.chooseGgufFile();
    if (chosen === null) return { copied: null };
    return { copied: await copyModelIntoFolder(chosen, deps.modelsDir()) };
  });
  registrar.handle(IPC_CHANNELS.localWorkerStart, NoArgsSchema, async () => {
    deps.rememberLocalWorkerChoice("on");
    return deps.localWorker.start();
  });
  registrar.handle(IPC_CHANNELS.localWorkerStop, NoArgsSchema, async () => {
    deps.rememberLocalWorkerChoice("off");
    return deps.localWorker.stop();
  });
  registrar.handle(IPC_CHANNELS.localWorkerStatus, NoArgsSchema, () => deps.localWorker.status());
}

// The desktop shell's IPC contract: the one place both sides of the preload bridge take their channel
// names, argument schemas and result types from (DESIGN.md §1: the bridge carries shell actions, never
// data — cluster data flows over HTTP/SSE). Main validates every argument with these zod schemas; the
// sandboxed preload may only `require("electron")`, so it imports the types alone and repeats the channel
// names under `satisfies typeof IPC_CHANNELS`, which makes any drift a compile error.
import { z } from "zod";
import { NodeStatusSchema } from "../nodes/node-info.js";

/** Request/response channels (renderer → main, `ipcRenderer.invoke`) and push channels (main → renderer). */
export const IPC_CHANNELS = {
  getConnection: "llama-orch:get-connection",
  openModelsFolder: "llama-orch:open-models-folder",
  chooseModelFile: "llama-orch:choose-model-file",
  revealLogs: "llama-orch:reveal-logs",
  localWorkerStart: "llama-orch:local-worker-start",
  localWorkerStop: "llama-orch:local-worker-stop",
  localWorkerStatus: "llama-orch:local-worker-status",
  /** Push: the local worker's status changed. Payload: LocalWorkerStatus. */
  localWorkerStatusChanged: "llama-orch:local-worker-status-changed",
  /** Push: the app menu asks the dashboard to show a view. Payload: a DashboardRoute. */
  navigate: "llama-orch:navigate",
} as const;
export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];

/** The hash routes the shell may open in the dashboard (menu shortcuts). */
export const DashboardRouteSchema = z.enum(["#/overview", "#/nodes", "#/models", "#/settings", "#/logs"]);
export type DashboardRoute = z.infer<typeof DashboardRouteSchema>;

/** Every invoke channel takes no arguments today; the schema still rejects anything extra. */
export const NoArgsSchema = z.tuple([]);

// ---- results ------------------------------------------------------------------------------------------

export const IpcErrorCodeSchema = z.enum([
  /** The calling frame is not the dashboard's main frame at the orchestrator's origin. */
  "FORBIDDEN_SENDER",
  /** Arguments failed the channel's schema. */
  "INVALID_ARGUMENT",
  /** The chosen file is not a GGUF model. */
  "NOT_A_MODEL",
  /** The local worker could not be started (e.g. not built, demo model generation failed). */
  "LOCAL_WORKER_FAILED",
  /** The operating system refused (opening a folder, copying a file). */
  "OS_ERROR",
  "INTERNAL",
]);
export type IpcErrorCode = z.infer<typeof IpcErrorCodeSchema>;

export const IpcErrorSchema = z.object({ code: IpcErrorCodeSchema, message: z.string() });
export type IpcError = z.infer<typeof IpcErrorSchema>;

/** Every handler answers with this envelope; nothing is thrown across the bridge. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export function ipcResultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: IpcErrorSchema })]);
}

/** What API examples in the dashboard need: the orchestrator's base URL and a bearer token to copy. */
export const ConnectionInfoSchema = z.object({
  baseUrl: z.url(),
  token: z.string().min(32),
  /** "generated": created on first run and stored in `tokenPath`; "config": from LLORCH_API_TOKEN. */
  tokenSource: z.enum(["generated", "config"]),
  tokenPath: z.string().nullable(),
  /** First 6 hex chars of the token's SHA-256, as the logs show it. */
  tokenFp6: z.string(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfoSchema>;

export const FolderResultSchema = z.object({ path: z.string() });
export type FolderResult = z.infer<typeof FolderResultSchema>;

export const CopiedModelSchema = z.object({ fileName: z.string(), path: z.string(), bytes: z.int().min(0) });
/** `copied` is null when the user cancelled the file dialog. */
export const ChooseModelResultSchema = z.object({ copied: CopiedModelSchema.nullable() });
export type ChooseModelResult = z.infer<typeof ChooseModelResultSchema>;

export const LocalWorkerStateSchema = z.enum(["stopped", "starting", "running", "restarting", "stopping", "failed"]);
export type LocalWorkerState = z.infer<typeof LocalWorkerStateSchema>;

export const LocalWorkerStatusSchema = z.object({
  state: LocalWorkerStateSchema,
  /** The node id the local worker registers as. */
  nodeId: z.string(),
  /** The node's status in the orchestrator's registry, null until it registered. */
  nodeStatus: NodeStatusSchema.nullable(),
  modelsDir: z.string(),
  pid: z.int().nullable(),
  lastError: z.string().nullable(),
  /** The remembered one-click choice: "on" starts the worker with the app, "ask" means first run. */
  choice: z.enum(["ask", "on", "off"]),
});
export type LocalWorkerStatus = z.infer<typeof LocalWorkerStatusSchema>;

/** Result schema per invoke channel (used by tests and by anyone validating answers). */
export const IPC_RESULT_SCHEMAS = {
  [IPC_CHANNELS.getConnection]: ConnectionInfoSchema,
  [IPC_CHANNELS.openModelsFolder]: FolderResultSchema,
  [IPC_CHANNELS.chooseModelFile]: ChooseModelResultSchema,
  [IPC_CHANNELS.revealLogs]: FolderResultSchema,
  [IPC_CHANNELS.localWorkerStart]: LocalWorkerStatusSchema,
  [IPC_CHANNELS.localWorkerStop]: LocalWorkerStatusSchema,
  [IPC_CHANNELS.localWorkerStatus]: LocalWorkerStatusSchema,
} as const;

/**
 * `window.llamaOrch` in the Electron dashboard (absent in a plain browser: the dashboard must treat it as
 * optional). A small set of verbs — never a generic invoke.
 */
export interface LlamaOrchDesktopApi {
  /** Base URL and API token, for copy-paste API examples. The dashboard itself authenticates by cookie. */
  getConnection(): Promise<IpcResult<ConnectionInfo>>;
  /** Opens the local worker's models folder in the file manager. */
  openModelsFolder(): Promise<IpcResult<FolderResult>>;
  /** Lets the user pick a .gguf file and copies it into the models folder (the worker picks it up). */
  chooseModelFile(): Promise<IpcResult<ChooseModelResult>>;
  /** Opens the folder holding the app's log files. */
  revealLogs(): Promise<IpcResult<FolderResult>>;
  localWorker: {
    start(): Promise<IpcResult<LocalWorkerStatus>>;
    stop(): Promise<IpcResult<LocalWorkerStatus>>;
    status(): Promise<IpcResult<LocalWorkerStatus>>;
  };
  /** Calls `listener` on every local worker status change; returns the unsubscribe function. */
  onLocalWorkerStatus(listener: (status: LocalWorkerStatus) => void): () => void;
}

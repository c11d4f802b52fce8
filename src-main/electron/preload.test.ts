// The preload as Electron's sandbox runs it: the CommonJS that tsc emits for preload.cts, evaluated with
// a `require` that knows only "electron" (a mock) — so it also proves the preload requires nothing else.
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import ts from "typescript";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, IPC_RESULT_SCHEMAS } from "../../src-shared/ipc/ipc-contract.js";

const exposed = new Map<string, unknown>();
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
const required: string[] = [];
const invoke = vi.fn(async (channel: string) => ({ ok: true, value: channel }));
const location = { hash: "" };

const electronMock = {
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke,
    on: (channel: string, fn: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(fn);
    },
    removeListener: (channel: string, fn: (...args: unknown[]) => void) => listeners.get(channel)?.delete(fn),
  },
};

beforeAll(() => {
  const source = readFileSync(new URL("./preload.cts", import.meta.url), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: "preload.cts" });
  const module = { exports: {} };
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id !== "electron") throw new Error(`a sandboxed preload cannot require ${id}`);
    return electronMock;
  };
  runInNewContext(outputText, { require: sandboxRequire, module, exports: module.exports, location, Object, TypeError });
});

type Api = {
  getConnection(): Promise<unknown>;
  openModelsFolder(): Promise<unknown>;
  chooseModelFile(): Promise<unknown>;
  revealLogs(): Promise<unknown>;
  localWorker: { start(): Promise<unknown>; stop(): Promise<unknown>; status(): Promise<unknown> };
  onLocalWorkerStatus(fn: (s: unknown) => void): () => void;
};

function emit(channel: string, payload: unknown): void {
  for (const fn of listeners.get(channel) ?? []) fn({ sender: "the IPC event must not reach the page" }, payload);
}

let api: Api;
beforeEach(() => {
  api = exposed.get("llamaOrch") as Api;
  invoke.mockClear();
});

describe("preload", () => {
  it("exposes exactly window.llamaOrch with the contract's verbs, frozen, and nothing generic", () => {
    expect(required).toEqual(["electron"]);
    expect([...exposed.keys()]).toEqual(["llamaOrch"]);
    expect(Object.keys(api).sort()).toEqual(["chooseModelFile", "getConnection", "localWorker", "onLocalWorkerStatus", "openModelsFolder", "revealLogs"]);
    expect(Object.keys(api.localWorker).sort()).toEqual(["start", "status", "stop"]);
    expect(Object.isFrozen(api) && Object.isFrozen(api.localWorker)).toBe(true);
    for (const generic of ["invoke", "send", "on", "ipcRenderer", "require"]) expect(api).not.toHaveProperty(generic);
  });

  it("each verb invokes its own channel, with no arguments passed through", async () => {
    const calls: [() => Promise<unknown>, string][] = [
      [api.getConnection, IPC_CHANNELS.getConnection],
      [api.openModelsFolder, IPC_CHANNELS.openModelsFolder],
      [api.chooseModelFile, IPC_CHANNELS.chooseModelFile],
      [api.revealLogs, IPC_CHANNELS.revealLogs],
      [api.localWorker.start, IPC_CHANNELS.localWorkerStart],
      [api.localWorker.stop, IPC_CHANNELS.localWorkerStop],
      [api.localWorker.status, IPC_CHANNELS.localWorkerStatus],
    ];
    for (const [fn, channel] of calls) {
      await expect((fn as (...a: unknown[]) => Promise<unknown>)("ignored", "args")).resolves.toEqual({ ok: true, value: channel });
      expect(invoke).toHaveBeenLastCalledWith(channel);
    }
    expect(new Set(calls.map(([, c]) => c))).toEqual(new Set(Object.keys(IPC_RESULT_SCHEMAS)));
  });

  it("onLocalWorkerStatus delivers the payload only (not the event) and unsubscribes", () => {
    const seen: unknown[][] = [];
    const off = api.onLocalWorkerStatus((...args) => seen.push(args));
    emit(IPC_CHANNELS.localWorkerStatusChanged, { state: "running" });
    off();
    emit(IPC_CHANNELS.localWorkerStatusChanged, { state: "stopped" });
    expect(seen).toEqual([[{ state: "running" }]]);
    expect(() => api.onLocalWorkerStatus("nope" as never)).toThrow(TypeError);
  });

  it("menu navigation applies known dashboard routes only", () => {
    emit(IPC_CHANNELS.navigate, "#/settings");
    expect(location.hash).toBe("/settings");
    emit(IPC_CHANNELS.navigate, "javascript:alert(1)");
    emit(IPC_CHANNELS.navigate, { hash: "#/x" });
    expect(location.hash).toBe("/settings");
  });
});

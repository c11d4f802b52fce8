import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, IPC_RESULT_SCHEMAS, ipcResultSchema, type LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";
import { IpcRegistrar, type IpcMainLike } from "./ipc-registrar.js";
import { registerShellIpc, type ShellIpcDeps } from "./shell-ipc.js";

const ORIGIN = "http://127.0.0.1:8080";
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "llorch-shellipc-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STATUS: LocalWorkerStatus = { state: "running", nodeId: "local", nodeStatus: "Online", modelsDir: "/m", pid: 7, lastError: null, choice: "on" };

function setup(overrides: Partial<ShellIpcDeps> = {}) {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l as never), removeHandler: (c) => void handlers.delete(c) };
  const modelsDir = join(tempDir(), "models");
  const logsDir = join(tempDir(), "logs");
  const deps: ShellIpcDeps = {
    connection: () => ({ baseUrl: ORIGIN, token: "a".repeat(64), tokenSource: "generated", tokenPath: "/u/orchestrator/api-token", tokenFp6: "abcdef" }),
    modelsDir: () => modelsDir,
    logsDir,
    openPath: vi.fn(async () => ""),
    chooseGgufFile: vi.fn(async () => null),
    localWorker: { start: vi.fn(async () => STATUS), stop: vi.fn(async () => ({ ...STATUS, state: "stopped" as const, pid: null })), status: vi.fn(() => STATUS) },
    rememberLocalWorkerChoice: vi.fn(),
    ...overrides,
  };
  registerShellIpc(new IpcRegistrar(ipc, { origin: () => ORIGIN }), deps);
  const call = async (channel: string, from = `${ORIGIN}/`) => {
    const h = handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    return (await h({ senderFrame: { url: from, parent: null } })) as { ok: boolean; value?: never; error?: { code: string; message: string } };
  };
  return { handlers, deps, call, modelsDir, logsDir };
}

describe("shell IPC handlers", () => {
  it("registers exactly the contract's invoke channels", () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual(Object.keys(IPC_RESULT_SCHEMAS).sort());
  });

  it("every answer matches the contract's result schema", async () => {
    const { call } = setup();
    for (const [channel, schema] of Object.entries(IPC_RESULT_SCHEMAS)) {
      const result = await call(channel);
      expect(ipcResultSchema(schema).safeParse(result).success, `${channel}: ${JSON.stringify(result)}`).toBe(true);
      expect(result.ok, channel).toBe(true);
    }
  });

  it("getConnection gives the base URL and token for API examples", async () => {
    const { call } = setup();
    expect(await call(IPC_CHANNELS.getConnection)).toEqual({ ok: true, value: { baseUrl: ORIGIN, token: "a".repeat(64), tokenSource: "generated", tokenPath: "/u/orchestrator/api-token", tokenFp6: "abcdef" } });
  });

  it("refuses a foreign sender for every channel", async () => {
    const { call, deps } = setup();
    for (const channel of Object.keys(IPC_RESULT_SCHEMAS)) expect((await call(channel, "https://evil.example/")).error?.code).toBe("FORBIDDEN_SENDER");
    expect(deps.localWorker.start).not.toHaveBeenCalled();
  });

  it("openModelsFolder and revealLogs create and open their folders", async () => {
    const { call, deps, modelsDir, logsDir } = setup();
    expect(await call(IPC_CHANNELS.openModelsFolder)).toEqual({ ok: true, value: { path: modelsDir } });
    expect(await call(IPC_CHANNELS.revealLogs)).toEqual({ ok: true, value: { path: logsDir } });
    expect(existsSync(modelsDir) && existsSync(logsDir)).toBe(true);
    expect(deps.openPath).toHaveBeenCalledWith(modelsDir);
  });

  it("an OS refusal to open a folder is an OS_ERROR", async () => {
    const { call } = setup({ openPath: async () => "No application is registered" });
    expect((await call(IPC_CHANNELS.revealLogs)).error).toMatchObject({ code: "OS_ERROR" });
  });

  it("chooseModelFile: cancelled → copied null; chosen GGUF → copied into the models folder; other file → NOT_A_MODEL", async () => {
    const src = join(tempDir(), "picked.gguf");
    writeFileSync(src, Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(12)]));
    let chosen: string | null = null;
    const { call, modelsDir } = setup({ chooseGgufFile: async () => chosen });
    expect(await call(IPC_CHANNELS.chooseModelFile)).toEqual({ ok: true, value: { copied: null } });
    chosen = src;
    expect(await call(IPC_CHANNELS.chooseModelFile)).toEqual({ ok: true, value: { copied: { fileName: "picked.gguf", path: join(modelsDir, "picked.gguf"), bytes: 16 } } });
    expect(readdirSync(modelsDir)).toEqual(["picked.gguf"]);
    const txt = join(tempDir(), "readme.txt");
    writeFileSync(txt, "x");
    chosen = txt;
    expect((await call(IPC_CHANNELS.chooseModelFile)).error?.code).toBe("NOT_A_MODEL");
  });

  it("local worker start/stop remember the choice", async () => {
    const { call, deps } = setup();
    expect(await call(IPC_CHANNELS.localWorkerStart)).toEqual({ ok: true, value: STATUS });
    expect(deps.rememberLocalWorkerChoice).toHaveBeenLastCalledWith("on");
    expect((await call(IPC_CHANNELS.localWorkerStop)).value).toMatchObject({ state: "stopped" });
    expect(deps.rememberLocalWorkerChoice).toHaveBeenLastCalledWith("off");
    expect(await call(IPC_CHANNELS.localWorkerStatus)).toEqual({ ok: true, value: STATUS });
  });
});

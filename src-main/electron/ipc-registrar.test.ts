import { z } from "zod";
import { describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, NoArgsSchema } from "../../src-shared/ipc/ipc-contract.js";
import { IpcRegistrar, ShellError, senderFrameInfo, type InvokeEventLike, type IpcMainLike } from "./ipc-registrar.js";

const ORIGIN = "http://127.0.0.1:8080";

type Listener = Parameters<IpcMainLike["handle"]>[1];

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { ipc, handlers };
}

/** An invoke event as Electron builds it: senderFrame with url and parent. */
function eventFrom(url: string, opts: { subframe?: boolean; destroyed?: boolean } = {}): InvokeEventLike {
  if (opts.destroyed) {
    return {
      get senderFrame(): never {
        throw new Error("Render frame was disposed before WebFrameMain could be accessed");
      },
    } as unknown as InvokeEventLike;
  }
  return { senderFrame: { url, parent: opts.subframe ? {} : null } } as unknown as InvokeEventLike;
}

function invoke(handlers: Map<string, Listener>, channel: string, event: InvokeEventLike, ...args: unknown[]) {
  const listener = handlers.get(channel);
  if (!listener) throw new Error(`no handler for ${channel}`);
  return listener(event as never, ...args) as Promise<unknown>;
}

describe("IpcRegistrar", () => {
  it("answers {ok:true, value} for a trusted sender", async () => {
    const { ipc, handlers } = fakeIpcMain();
    const registrar = new IpcRegistrar(ipc, { origin: () => ORIGIN });
    registrar.handle(IPC_CHANNELS.localWorkerStatus, NoArgsSchema, () => ({ state: "stopped" }));
    await expect(invoke(handlers, IPC_CHANNELS.localWorkerStatus, eventFrom(`${ORIGIN}/#/overview`))).resolves.toEqual({ ok: true, value: { state: "stopped" } });
  });

  it("refuses foreign origins, subframes and destroyed frames without running the handler", async () => {
    const { ipc, handlers } = fakeIpcMain();
    const onRejected = vi.fn();
    const fn = vi.fn(() => "secret");
    const registrar = new IpcRegistrar(ipc, { origin: () => ORIGIN, onRejected });
    registrar.handle(IPC_CHANNELS.getConnection, NoArgsSchema, fn);
    for (const event of [eventFrom("https://evil.example/"), eventFrom(`${ORIGIN}/`, { subframe: true }), eventFrom(`${ORIGIN}/`, { destroyed: true }), eventFrom("file:///x/index.html")]) {
      const result = (await invoke(handlers, IPC_CHANNELS.getConnection, event)) as { ok: boolean; error?: { code: string } };
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe("FORBIDDEN_SENDER");
    }
    expect(fn).not.toHaveBeenCalled();
    expect(onRejected).toHaveBeenCalledTimes(4);
  });

  it("validates arguments with the channel's zod schema", async () => {
    const { ipc, handlers } = fakeIpcMain();
    const registrar = new IpcRegistrar(ipc, { origin: () => ORIGIN });
    const fn = vi.fn();
    registrar.handle(IPC_CHANNELS.revealLogs, NoArgsSchema, fn);
    const extra = (await invoke(handlers, IPC_CHANNELS.revealLogs, eventFrom(ORIGIN), "/etc")) as { ok: boolean; error: { code: string; message: string } };
    expect(extra).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT" } });
    expect(extra.error.message).toContain(IPC_CHANNELS.revealLogs);
    expect(fn).not.toHaveBeenCalled();

    const typed = fakeIpcMain();
    const seen: unknown[] = [];
    new IpcRegistrar(typed.ipc, { origin: () => ORIGIN }).handle(IPC_CHANNELS.chooseModelFile, z.tuple([z.string().max(5)]), (s) => seen.push(s));
    await expect(invoke(typed.handlers, IPC_CHANNELS.chooseModelFile, eventFrom(ORIGIN), "abc")).resolves.toMatchObject({ ok: true });
    await expect(invoke(typed.handlers, IPC_CHANNELS.chooseModelFile, eventFrom(ORIGIN), "too long")).resolves.toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT" } });
    await expect(invoke(typed.handlers, IPC_CHANNELS.chooseModelFile, eventFrom(ORIGIN), 42)).resolves.toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT" } });
    expect(seen).toEqual(["abc"]);
  });

  it("turns thrown errors into envelopes, keeping ShellError codes", async () => {
    const { ipc, handlers } = fakeIpcMain();
    const registrar = new IpcRegistrar(ipc, { origin: () => ORIGIN });
    registrar.handle(IPC_CHANNELS.chooseModelFile, NoArgsSchema, () => {
      throw new ShellError("NOT_A_MODEL", "x.txt is not a .gguf file");
    });
    registrar.handle(IPC_CHANNELS.openModelsFolder, NoArgsSchema, async () => {
      throw new Error("boom");
    });
    await expect(invoke(handlers, IPC_CHANNELS.chooseModelFile, eventFrom(ORIGIN))).resolves.toEqual({ ok: false, error: { code: "NOT_A_MODEL", message: "x.txt is not a .gguf file" } });
    await expect(invoke(handlers, IPC_CHANNELS.openModelsFolder, eventFrom(ORIGIN))).resolves.toEqual({ ok: false, error: { code: "INTERNAL", message: "boom" } });
  });

  it("reads the origin lazily and removes its handlers on dispose", async () => {
    const { ipc, handlers } = fakeIpcMain();
    let origin = "http://127.0.0.1:1";
    const registrar = new IpcRegistrar(ipc, { origin: () => origin });
    registrar.handle(IPC_CHANNELS.localWorkerStatus, NoArgsSchema, () => 1);
    origin = ORIGIN;
    await expect(invoke(handlers, IPC_CHANNELS.localWorkerStatus, eventFrom(ORIGIN))).resolves.toEqual({ ok: true, value: 1 });
    registrar.dispose();
    expect(handlers.size).toBe(0);
  });

  it("senderFrameInfo maps parent to isMainFrame", () => {
    expect(senderFrameInfo(eventFrom(ORIGIN))).toEqual({ url: ORIGIN, isMainFrame: true });
    expect(senderFrameInfo(eventFrom(ORIGIN, { subframe: true }))).toEqual({ url: ORIGIN, isMainFrame: false });
    expect(senderFrameInfo({ senderFrame: null } as unknown as InvokeEventLike)).toBeNull();
  });
});

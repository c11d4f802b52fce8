// The one way main registers IPC handlers: sender validated, arguments parsed with zod, every outcome
// turned into an IpcResult envelope (Electron passes only `message` of a thrown Error across, so nothing
// is thrown over the bridge).
import type { IpcMainInvokeEvent } from "electron";
import type { z } from "zod";
import type { IpcChannel, IpcErrorCode, IpcResult } from "../../src-shared/ipc/ipc-contract.js";
import { isTrustedSender, type SenderFrameInfo } from "./ipc-sender.js";

/** An error a handler throws on purpose, with the code the renderer receives. */
export class ShellError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The part of `ipcMain` the registrar uses (a fake in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The part of an invoke event the registrar reads. */
export type InvokeEventLike = Pick<IpcMainInvokeEvent, "senderFrame">;

export interface IpcRegistrarOptions {
  /** The orchestrator origin the dashboard is served from (known once it listens). */
  origin: () => string;
  /** Called for refused senders and handler failures (logging). */
  onRejected?: (channel: string, error: { code: IpcErrorCode; message: string }) => void;
}

export function senderFrameInfo(event: InvokeEventLike): SenderFrameInfo | null {
  try {
    const frame = event.senderFrame;
    if (!frame) return null;
    return { url: frame.url, isMainFrame: frame.parent === null };
  } catch {
    return null; // a destroyed frame throws on access
  }
}

export class IpcRegistrar {
  private readonly channels: string[] = [];

  constructor(
    private readonly ipc: IpcMainLike,
    private readonly opts: IpcRegistrarOptions,
  ) {}

  /** Registers `fn` for `channel`; `args` is the zod schema of the argument tuple. */
  handle<A extends z.ZodType<unknown[]>, R>(channel: IpcChannel, args: A, fn: (...args: z.infer<A>) => R | Promise<R>): void {
    this.channels.push(channel);
    this.ipc.handle(channel, (event, ...raw) => this.dispatch(channel, event, raw, args, fn));
  }

  /** Runs one call through the checks; exported through `handle`, public for tests. */
  async dispatch<A extends z.ZodType<unknown[]>, R>(channel: string, event: InvokeEventLike, raw: unknown[], args: A, fn: (...args: z.infer<A>) => R | Promise<R>): Promise<IpcResult<R>> {
    const fail = (code: IpcErrorCode, message: string): IpcResult<R> => {
      this.opts.onRejected?.(channel, { code, message });
      return { ok: false, error: { code, message } };
    };
    if (!isTrustedSender(senderFrameInfo(event), this.opts.origin())) {
      return fail("FORBIDDEN_SENDER", `${channel} may only be called by the dashboard's main frame`);
    }
    const parsed = args.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail("INVALID_ARGUMENT", `${channel}: ${issue ? `${issue.path.join(".") || "arguments"}: ${issue.message}` : "invalid arguments"}`);
    }
    try {
      return { ok: true, value: await fn(...(parsed.data as z.infer<A>)) };
    } catch (err) {
      if (err instanceof ShellError) return fail(err.code, err.message);
      return fail("INTERNAL", err instanceof Error ? err.message : String(err));
    }
  }

  /** Removes every handler this registrar added (quit, tests). */
  dispose(): void {
    for (const channel of this.channels.splice(0)) this.ipc.removeHandler(channel);
  }
}

import type { IpcResult, LlamaOrchDesktopApi } from "../../src-shared/ipc/ipc-contract.js";

declare global {
  interface Window {
    /** Present only inside the Electron shell (preload bridge); a plain browser has none. */
    llamaOrch?: LlamaOrchDesktopApi;
  }
}

/** The desktop shell's verbs, or null in a browser. */
export function desktop(): LlamaOrchDesktopApi | null {
  return typeof window !== "undefined" && window.llamaOrch !== undefined ? window.llamaOrch : null;
}

/** Unwraps an IPC result into a value or an error message with its code. */
export async function ipc<T>(call: Promise<IpcResult<T>>): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> {
  try {
    const r = await call;
    return r.ok ? { ok: true, value: r.value } : { ok: false, code: r.error.code, message: r.error.message };
  } catch (err) {
    return { ok: false, code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
  }
}

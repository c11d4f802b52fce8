import type { EngineLoadMessage } from "../engine-ipc.js";

/**
 * llama-server's command line for a pool: loopback only, `slots` parallel slots of `contextSize`
 * tokens each (-c is the total; the KV cache is split per slot, not unified, so every slot gets the
 * context the pool promises), the pool's threads for decode and for prompt batches, no web UI.
 */
export function llamaServerArgs(load: EngineLoadMessage, contextSize: number, port: number): string[] {
  return [
    "--model", load.model_path,
    "--host", "127.0.0.1",
    "--port", String(port),
    "--parallel", String(load.slots),
    "--ctx-size", String(contextSize * load.slots),
    "--no-kv-unified",
    "--threads", String(load.threads),
    "--threads-batch", String(load.threads),
    "--no-webui",
    ...(load.device === "cpu" ? ["--n-gpu-layers", "0"] : []),
  ];
}

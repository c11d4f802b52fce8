// Helpers for the model staging integration tests: worker agents that keep their dirs across a
// restart, a generated "big" model (53 MB, so transfers last long enough to interrupt), and an
// HTTP proxy in front of a worker that can flip one byte of the model files it relays.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { writeTinyGguf } from "../scripts/gguf/write-tiny-gguf.js";
import { TEST_MODELS_DIR } from "./models.js";
import { metricValue, startWorker, type StartedWorker } from "./worker-agent-process.js";

export const BIG_MODEL_NAME = "llama-orch-test-staging-big";

/** The `big` preset of scripts/gguf, generated once into test-support/.models. */
export async function ensureBigModel(): Promise<string> {
  const path = join(TEST_MODELS_DIR, "staging-big.gguf");
  if (!existsSync(path)) await writeTinyGguf(path, { size: "big", seed: 7, name: BIG_MODEL_NAME });
  return path;
}

export interface StagingWorkerOptions {
  nodeId: string;
  orchestratorUrl: string;
  token: string;
  /** Files to put in the models dir: name → source path. */
  models?: Record<string, string>;
  /** Configured pools (none: the agent serves nothing, so big models are never loaded); "auto": one pool per model file. */
  pools?: Record<string, unknown>[] | "auto";
  /** Reuse the dirs of a previous agent (a restart). */
  dirs?: { modelsDir: string; dataDir: string; runtimeDir: string };
  advertiseUrl?: string;
  env?: Record<string, string>;
  /** More worker config keys. */
  config?: Record<string, unknown>;
}

export function startStagingWorker(o: StagingWorkerOptions): Promise<StartedWorker> {
  return startWorker({
    ...(o.models ? { models: o.models } : {}),
    config: {
      node_id: o.nodeId,
      orchestrator_url: o.orchestratorUrl,
      heartbeat_interval_secs: 0.25,
      catalog_poll_ms: 500,
      ...(o.pools === "auto" ? {} : { pools: o.pools ?? [] }),
      ...(o.advertiseUrl ? { advertise_url: o.advertiseUrl } : {}),
      ...(o.dirs ? { models_dir: o.dirs.modelsDir, data_dir: o.dirs.dataDir, runtime_dir: o.dirs.runtimeDir } : {}),
      ...o.config,
    },
    env: { LLORCH_API_TOKEN: o.token, ...o.env },
  });
}

/** Files in a models dir, hidden ones (partial transfers) included. */
export async function modelsDirFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** worker_model_bytes_served_total of one agent. */
export async function bytesServed(worker: StartedWorker): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${worker.token}` } })).text();
  return metricValue(text, "worker_model_bytes_served_total") ?? 0;
}

export interface CorruptingProxy {
  url: string;
  /** Where requests go (set once the worker behind it has bound its port). */
  upstream: string;
  /** Flip one byte of the next model content responses while true. */
  corrupt: boolean;
  corrupted: number;
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that relays everything and, when asked, flips a byte of GET …/content bodies. */
export async function startCorruptingProxy(): Promise<CorruptingProxy> {
  const state = { upstream: "", corrupt: false, corrupted: 0 };
  const server: Server = createServer((req, res) => {
    if (state.upstream === "") {
      res.writeHead(503).end();
      return;
    }
    const target = new URL(req.url ?? "/", state.upstream);
    const upstreamReq = request(target, { method: req.method, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      const flip = state.corrupt && req.method === "GET" && /\/content$/.test(target.pathname);
      let flipped = false;
      upstreamRes.on("data", (chunk: Buffer) => {
        if (flip && !flipped && chunk.length > 100) {
          chunk[100] = (chunk[100] ?? 0) ^ 0xff;
          flipped = true;
          state.corrupted += 1;
        }
        // Keep back-pressure: a proxy that buffers would make the source "send" bytes nobody received.
        if (!res.write(chunk)) {
          upstreamRes.pause();
          res.once("drain", () => upstreamRes.resume());
        }
      });
      upstreamRes.on("end", () => res.end());
      upstreamRes.on("error", () => res.destroy());
    });
    upstreamReq.on("error", () => res.destroy());
    res.on("close", () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstream() {
      return state.upstream;
    },
    set upstream(value: string) {
      state.upstream = value;
    },
    get corrupt() {
      return state.corrupt;
    },
    set corrupt(value: boolean) {
      state.corrupt = value;
    },
    get corrupted() {
      return state.corrupted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { OrchestratorConfigInput } from "../src-shared/config/orchestrator-config.js";
import { createOrchestrator, loadOrchestratorConfig, type Orchestrator, type OrchestratorOptions } from "../src-main/orchestrator/index.js";

export const TEST_TOKEN = "test-token-0123456789abcdef0123456789abcdef";

export interface TestOrchestrator {
  orchestrator: Orchestrator;
  url: string;
  token: string;
  dataDir: string;
  /** Every log line the orchestrator wrote, raw. */
  logs: string[];
  /** fetch against the orchestrator with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Restart on the same data dir and port (fresh process state, same database). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Server and auth-failure limits for a test orchestrator. */
export type TestOrchestratorLimits = Pick<OrchestratorOptions, "serverLimits" | "authFailureLimits" | "hotRoutes" | "onHotRoute">;

/**
 * Test files make many deliberate auth failures from 127.0.0.1 (one per route and credential), which
 * the production limit would turn into 429s; auth-limits.test.ts runs with the production limit.
 */
export const TEST_AUTH_FAILURE_LIMITS = { maxFailures: 100_000 };

/** A real orchestrator on 127.0.0.1 with a temp data dir and captured JSON logs. */
export async function startTestOrchestrator(overrides: Partial<OrchestratorConfigInput> = {}, dataDir?: string, limits: TestOrchestratorLimits = { authFailureLimits: TEST_AUTH_FAILURE_LIMITS }): Promise<TestOrchestrator> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "llorch-orch-"));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(line);
      cb();
    },
  });
  const make = (bind: string) => {
    const config = loadOrchestratorConfig({ env: {}, overrides: { bind_addr: bind, data_dir: dir, api_tokens: [TEST_TOKEN], pool_probe_interval_ms: 1000, log_level: "debug", ...overrides } });
    return createOrchestrator({ config, logDestination: sink, ...limits });
  };
  let orchestrator = make(overrides.bind_addr ?? "127.0.0.1:0");
  let url = await orchestrator.listen();
  const harness: TestOrchestrator = {
    get orchestrator() {
      return orchestrator;
    },
    get url() {
      return url;
    },
    token: TEST_TOKEN,
    dataDir: dir,
    logs,
    async api(path, init = {}) {
      const request = () => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(init.body ? { "content-type": "application/json" } : {}), ...(init.headers as Record<string, string> | undefined) } });
      try {
        return await request();
      } catch (err) {
        // A pooled keep-alive socket can outlive an orchestrator restart; one retry on a fresh one.
        if ((err as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw err;
        return request();
      }
    },
    async restart() {
      await orchestrator.close();
      // Let this process's HTTP clients see the old server's FINs before the port is reused.
      await new Promise((r) => setTimeout(r, 50));
      orchestrator = make(new URL(url).host);
      url = await orchestrator.listen();
    },
    async close() {
      await orchestrator.close();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// Each fixture is linted as if it were a file at `file`; the boundary rules must flag the forbidden
// imports and leave the allowed ones alone. If a rule is loosened, the "forbidden" rows fail.
const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const forbidden: Array<[file: string, importLine: string]> = [
  ["src-shared/contract/example.ts", 'import { readFileSync } from "node:fs";'],
  ["src-shared/contract/example.ts", 'import { join } from "path";'],
  ["src-shared/contract/example.ts", 'import { app } from "electron";'],
  ["src-shared/contract/example.ts", 'import { createOrchestrator } from "../../src-main/orchestrator/index.js";'],
  ["src-shared/contract/example.ts", 'import { startAgent } from "../../worker-agent/agent.js";'],
  ["src-main/orchestrator/example.ts", 'import { startAgent } from "../../worker-agent/agent.js";'],
  ["src-main/orchestrator/example.ts", 'import { app } from "electron";'],
  ["src-main/orchestrator/example.ts", 'import { main } from "../headless/cli.js";'],
  ["src-main/orchestrator/example.ts", 'import { App } from "../../src-renderer/app.js";'],
  ["src-main/headless/example.ts", 'import { startAgent } from "../../worker-agent/agent.js";'],
  ["src-main/electron/example.ts", 'import { startAgent } from "../../worker-agent/agent.js";'],
  ["worker-agent/example.ts", 'import { createOrchestrator } from "../src-main/orchestrator/index.js";'],
  ["worker-agent/engine/example.ts", 'import { BrowserWindow } from "electron";'],
  ["src-renderer/example.tsx", 'import { readFile } from "node:fs/promises";'],
  ["src-renderer/example.tsx", 'import { ipcRenderer } from "electron";'],
  ["src-renderer/example.tsx", 'import { createOrchestrator } from "../src-main/orchestrator/index.js";'],
  // The orchestrator's task path: no import back up between its rooms, no domain → HTTP.
  ["src-main/orchestrator/workers/example.ts", 'import { TaskService } from "../tasks/task-service.js";'],
  ["src-main/orchestrator/workers/example.ts", 'import { Scheduler } from "../scheduling/scheduler.js";'],
  ["src-main/orchestrator/scheduling/example.ts", 'import { TaskService } from "../tasks/task-service.js";'],
  ["src-main/orchestrator/scheduling/example.ts", 'import { taskHandlers } from "../http/handlers/task-handlers.js";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { createAuthenticator } from "../http/orchestrator-authenticator.js";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { OrchestratorContext } from "../orchestrator-context.js";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { ClusterFeed } from "../dashboard/cluster-feed.js";'],
  ["src-main/orchestrator/registry/example.ts", 'import { WorkerClients } from "../workers/worker-clients.js";'],
  ["src-main/orchestrator/db/example.ts", 'import { Task } from "../tasks/task.js";'],
  ["src-main/orchestrator/placement/example.ts", 'import { Scheduler } from "../scheduling/scheduler.js";'],
  ["src-main/orchestrator/registry/example.ts", 'import { NodeService } from "../app/node-service.js";'],
  ["src-main/orchestrator/app/example.ts", 'import { poolHandlers } from "../http/handlers/pool-handlers.js";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { app } from "electron";'],
  ["src-main/orchestrator/workers/example.ts", 'import { startAgent } from "../../../worker-agent/agent.js";'],
  ["src-renderer/example.tsx", 'import { openSse } from "../src-node/sse-writer.js";'],
  ["src-shared/streaming/example.ts", 'import { openSse } from "../../src-node/sse-writer.js";'],
  ["src-node/example.ts", 'import { createOrchestrator } from "../src-main/orchestrator/index.js";'],
  ["src-node/example.ts", 'import { startAgent } from "../worker-agent/agent.js";'],
  ["src-node/example.ts", 'import { App } from "../src-renderer/app.js";'],
  ["src-node/example.ts", 'import { app } from "electron";'],
];

const allowed: Array<[file: string, importLine: string]> = [
  ["src-shared/contract/example.ts", 'import { z } from "zod";'],
  ["src-shared/contract/example.ts", 'import { ErrorEnvelope } from "../errors/error-envelope.js";'],
  ["src-main/orchestrator/example.ts", 'import { ErrorEnvelope } from "../../src-shared/errors/error-envelope.js";'],
  ["src-main/orchestrator/example.ts", 'import { createServer } from "node:http";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { Scheduler } from "../scheduling/scheduler.js";'],
  ["src-main/orchestrator/tasks/example.ts", 'import { GenerationSchema } from "../../../src-shared/tasks/generation.js";'],
  ["src-main/orchestrator/scheduling/example.ts", 'import { streamFromWorker } from "../workers/worker-stream.js";'],
  ["src-main/orchestrator/scheduling/example.ts", 'import { Priority } from "../../../src-shared/tasks/task-request.js";'],
  ["src-main/orchestrator/workers/example.ts", 'import { NodeRegistry } from "../registry/node-registry.js";'],
  ["src-main/orchestrator/http/handlers/example.ts", 'import { TaskService } from "../../tasks/task-service.js";'],
  ["src-main/orchestrator/app/example.ts", 'import { NodeRegistry } from "../registry/node-registry.js";'],
  ["src-main/headless/example.ts", 'import { createOrchestrator } from "../orchestrator/index.js";'],
  ["src-main/electron/example.ts", 'import { app } from "electron";'],
  ["src-main/electron/example.ts", 'import { createOrchestrator } from "../orchestrator/index.js";'],
  ["worker-agent/example.ts", 'import { ErrorEnvelope } from "../src-shared/errors/error-envelope.js";'],
  ["src-renderer/example.tsx", 'import { ErrorEnvelope } from "../src-shared/errors/error-envelope.js";'],
  ["src-node/example.ts", 'import { ErrorEnvelope } from "../src-shared/errors/error-envelope.js";'],
  ["src-node/example.ts", 'import { createServer } from "node:http";'],
  ["src-node/example.ts", 'import express from "express";'],
  ["src-main/orchestrator/example.ts", 'import { openSse } from "../../src-node/sse-writer.js";'],
  ["worker-agent/example.ts", 'import { openSse } from "../src-node/sse-writer.js";'],
];

describe("import boundaries (DESIGN.md §1)", () => {
  it.each(forbidden)("%s may not `%s`", async (file, line) => {
    const errors = await boundaryErrors(file, `${line}\nexport const used = [${line.match(/\{ (\w+) \}/)?.[1] ?? "0"}];\n`);
    expect(errors.length).toBeGreaterThan(0);
  });

  it.each(allowed)("%s may `%s`", async (file, line) => {
    const errors = await boundaryErrors(file, `${line}\nexport const used = [${line.match(/\{ (\w+) \}/)?.[1] ?? "0"}];\n`);
    expect(errors).toEqual([]);
  });
});

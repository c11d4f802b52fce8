#!/usr/bin/env node
// The `llama-orch` command: the headless orchestrator + dashboard (dist/src-main/headless/cli.js). In a source
// checkout (`npx llama-orch`) it builds first when the build is missing or older than the sources, so
// `npm install` needs no build step; installed from the packed tarball it runs the shipped build.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale } from "./build-if-stale.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
if (existsSync(join(root, "src-main/headless/cli.ts"))) buildIfStale({
  root,
  name: "llama-orch",
  script: "build",
  outputs: ["dist/src-main/headless/cli.js", "dist/worker-agent/cli.js", "dist/renderer/index.html"],
  sources: ["package.json", "src-shared", "src-node", "src-main", "src-renderer", "worker-agent", "scripts/gguf", "scripts/make-model.ts"],
});
await import("../../dist/src-main/headless/cli.js");

#!/usr/bin/env node
// `npx llama-orch` in a clone: the headless orchestrator + dashboard (dist/src-main/headless/cli.js), built
// first when the build is missing or older than the sources (so `npm install` needs no build step).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale } from "./build-if-stale.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
buildIfStale({
  root,
  name: "llama-orch",
  script: "build",
  outputs: ["dist/src-main/headless/cli.js", "dist/worker-agent/cli.js", "dist/renderer/index.html"],
  sources: ["package.json", "src-shared", "src-node", "src-main", "src-renderer", "worker-agent", "scripts/gguf", "scripts/make-model.ts"],
});
await import("../../dist/src-main/headless/cli.js");

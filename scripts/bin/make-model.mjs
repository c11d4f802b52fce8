#!/usr/bin/env node
// `npm run make-model -- <out.gguf> [options]`: the tiny-model maker (dist/scripts/make-model.js), compiled
// first when missing or older than its sources.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale } from "./build-if-stale.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
buildIfStale({ root, name: "make-model", script: "build:scripts", outputs: ["dist/scripts/make-model.js"], sources: ["package.json", "scripts/make-model.ts", "scripts/gguf", "src-shared"] });
await import("../../dist/scripts/make-model.js");

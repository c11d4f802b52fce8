#!/usr/bin/env node
// Builds the installable worker package (worker-agent/package.json, `llama-orch-worker`): bundles the agent's
// CLI and the two child-process entries it spawns (engine host, system probe host) from the TypeScript
// sources into worker-agent/dist/, with src-shared and src-node compiled in. npm packages stay external
// and must be listed in worker-agent/package.json "dependencies": a bare import that is not listed fails
// the build, so a new dependency of the worker cannot silently go missing from the installed package.
// Usage: node scripts/packaging/bundle-worker.mjs   (also `npm run build -w worker-agent`; npm pack runs it)
import { rmSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pkgDir = join(root, "worker-agent");
const outDir = join(pkgDir, "dist");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const deps = new Set(Object.keys(pkg.dependencies ?? {}));
const builtins = new Set(builtinModules);

/** "@scope/name/sub" → "@scope/name", "name/sub" → "name". */
function packageName(id) {
  const parts = id.split("/");
  return id.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const missing = new Set();
function external(id, importer) {
  if (id.startsWith(".") || id.startsWith("/") || id.startsWith("\0")) return false;
  if (id.startsWith("node:") || builtins.has(id)) return true;
  const name = packageName(id);
  if (deps.has(name)) return true;
  missing.add(`${name} (imported by ${importer ? importer.replace(`${root}/`, "") : "?"})`);
  return true;
}

rmSync(outDir, { recursive: true, force: true });
const t0 = Date.now();
await build({
  input: {
    cli: join(pkgDir, "cli.ts"),
    // Spawned by path (new URL("./engine-host.js", import.meta.url)): they must sit next to the CLI.
    "engine-host": join(pkgDir, "engine/engine-host.ts"),
    "probe-host": join(pkgDir, "system/probe-host.ts"),
  },
  platform: "node",
  external,
  logLevel: "warn",
  output: {
    dir: outDir,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: false,
    // Keeps stack traces readable on the GPU machine.
    minify: false,
  },
});
if (missing.size > 0) {
  rmSync(outDir, { recursive: true, force: true });
  console.error(`bundle-worker: the worker imports packages that worker-agent/package.json does not list in "dependencies":\n  ${[...missing].join("\n  ")}\nAdd them there (same exact version as the root package.json), then run npm install.`);
  process.exit(1);
}
console.error(`bundle-worker: worker-agent/dist built in ${Date.now() - t0} ms`);

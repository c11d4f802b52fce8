#!/usr/bin/env node
// The `llama-orch-worker` command. Installed from the package, it runs the bundled agent in ../dist/.
// In a source checkout (../cli.ts exists) it first (re)builds that bundle when it is missing or older than
// the worker's sources, and says so: `npm install` then `npx llama-orch-worker doctor` needs no build step.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(pkgDir, "dist/cli.js");

/** Newest mtime of the non-test .ts files under dir (a few hundred stats: milliseconds). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "dist") newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

if (existsSync(join(pkgDir, "cli.ts"))) {
  const repo = join(pkgDir, "..");
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  const sources = Math.max(statSync(join(pkgDir, "package.json")).mtimeMs, ...["worker-agent", "src-node", "src-shared"].map((d) => newestSource(join(repo, d))));
  if (built < sources) {
    process.stderr.write(`llama-orch-worker: ${built === 0 ? "building" : "rebuilding"} worker-agent/dist from the sources (source checkout)…\n`);
    const result = spawnSync(process.execPath, [join(repo, "scripts/packaging/bundle-worker.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

await import("../dist/cli.js");

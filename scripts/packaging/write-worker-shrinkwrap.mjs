#!/usr/bin/env node
// Writes worker-agent/npm-shrinkwrap.json for `npm pack -w worker-agent` (prepack; postpack removes it again
// with --remove, so it never sits in the workspace during a root `npm install`). It is the subset of the root
// package-lock.json that the worker's dependencies resolve to, at the same paths: the installed worker gets
// exactly the versions the repository tests (node-llama-cpp with its prebuilt platform packages), and
// `npm install -g --offline <tarball>` needs only the cached tarballs, no registry metadata.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { lockClosure } from "./lock-closure.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const target = join(root, "worker-agent/npm-shrinkwrap.json");
if (process.argv.includes("--remove")) {
  rmSync(target, { force: true });
  process.exit(0);
}

const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "worker-agent/package.json"), "utf8"));
const { picked, problems } = lockClosure(lock, Object.keys(pkg.dependencies ?? {}));
for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
  const rootRange = lock.packages[""].dependencies?.[name] ?? lock.packages[""].devDependencies?.[name];
  if (rootRange !== range) problems.push(`worker-agent depends on ${name}@${range} but the root package.json has ${rootRange ?? "nothing"}: keep them equal (one lockfile, one tested version)`);
}
if (problems.length > 0) {
  console.error(`write-worker-shrinkwrap:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}

const out = { "": { name: pkg.name, version: pkg.version, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines } };
for (const path of [...picked.keys()].sort()) {
  // "dev"/"peer" describe the root project's graph, not the worker's.
  const { dev: _dev, peer: _peer, devOptional: _devOptional, ...entry } = picked.get(path);
  out[path] = entry;
}
writeFileSync(target, `${JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: out }, null, 2)}\n`);
console.error(`write-worker-shrinkwrap: ${picked.size} packages pinned from package-lock.json`);

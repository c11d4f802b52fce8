#!/usr/bin/env node
// Writes worker-agent/npm-shrinkwrap.json for `npm pack -w worker-agent` (prepack; postpack removes it again
// with --remove, so it never sits in the workspace during a root `npm install`). It is the subset of the root
// package-lock.json that the worker's dependencies resolve to, at the same paths: the installed worker gets
// exactly the versions the repository tests (node-llama-cpp with its prebuilt platform packages), and
// `npm install -g --offline <tarball>` needs only the cached tarballs, no registry metadata.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const target = join(root, "worker-agent/npm-shrinkwrap.json");
if (process.argv.includes("--remove")) {
  rmSync(target, { force: true });
  process.exit(0);
}

const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "worker-agent/package.json"), "utf8"));
const packages = lock.packages;

/** Where node's resolution finds `name` from the package installed at `from` ("" = the root). */
function resolve(from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
    const at = dir.lastIndexOf("/node_modules/");
    dir = at === -1 ? "" : dir.slice(0, at);
  }
}

const picked = new Map();
const problems = [];
function visit(from, name, optional) {
  const path = resolve(from, name);
  if (path === null) {
    if (!optional) problems.push(`${name} (needed by ${from || "llama-orch-worker"}) is not in package-lock.json`);
    return;
  }
  if (picked.has(path)) return;
  const entry = packages[path];
  if (entry.link) {
    problems.push(`${name} resolves to the workspace link ${path}; the worker cannot depend on a workspace`);
    return;
  }
  picked.set(path, entry);
  for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
  const peerMeta = entry.peerDependenciesMeta ?? {};
  for (const dep of Object.keys(entry.peerDependencies ?? {})) visit(path, dep, peerMeta[dep]?.optional === true);
}
for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
  const rootRange = lock.packages[""].dependencies?.[name] ?? lock.packages[""].devDependencies?.[name];
  if (rootRange !== range) problems.push(`worker-agent depends on ${name}@${range} but the root package.json has ${rootRange ?? "nothing"}: keep them equal (one lockfile, one tested version)`);
  visit("", name, false);
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

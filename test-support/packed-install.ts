// `npm pack` a package of this repository and install the tarball globally into an empty prefix OFFLINE
// (`npm install -g --prefix <dir> --offline <tarball>`), the way a machine without registry access would.
import { rm } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { expect } from "vitest";
import { withNpmCacheLock } from "./npm-cache-lock.js";
import { runCommand } from "./run-command.js";

export interface PackedInstall {
  tarball: string;
  /** The prefix: bin/<command>, lib/node_modules/<name>. */
  prefix: string;
  /** What was packed, and whether the npm cache had to be filled first. */
  log: string;
}

/**
 * packArgs: extra `npm pack` arguments (e.g. ["-w", "worker-agent"]). A fresh machine's npm cache holds
 * the tarballs `npm ci` fetched but not the registry metadata an install of a package (not a lockfile)
 * reads: then the cache is filled once by an online install into a throwaway prefix, and the offline
 * install runs again into a still-empty prefix. Installs hold a lock (one at a time across the forks).
 */
export async function packAndInstallOffline(work: string, name: string, packArgs: readonly string[]): Promise<PackedInstall> {
  const pack = await runCommand("npm", ["pack", ...packArgs, "--pack-destination", work, "--json"], { timeoutMs: 300_000 });
  expect(pack.code, pack.stderr).toBe(0);
  const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  if (packed === undefined) throw new Error(`npm pack printed no package: ${pack.stdout}`);
  const tarball = join(work, packed.filename);
  let log = `packed ${packed.filename} (${packed.files.length} files)\n`;
  const prefix = join(work, `${name}-prefix`);
  const install = (target: string, offline: boolean) =>
    runCommand("npm", ["install", "-g", "--prefix", target, ...(offline ? ["--offline"] : []), "--no-audit", "--no-fund", "--loglevel=error", tarball], { timeoutMs: 300_000 });
  const result = await withNpmCacheLock(async () => {
    let attempt = await install(prefix, true);
    // A prefill whose metadata writes were lost (seen once with two prefills at once) gets another round.
    for (let round = 1; round <= 3 && attempt.code !== 0 && /ENOTCACHED/.test(attempt.stderr); round++) {
      log += `the npm cache lacked registry metadata: filled it with an online install into a throwaway prefix (round ${round})\n`;
      const prefill = await install(join(work, `${name}-prefill`), false);
      expect(prefill.code, prefill.stderr).toBe(0);
      await rm(join(work, `${name}-prefill`), { recursive: true, force: true });
      await rm(prefix, { recursive: true, force: true });
      attempt = await install(prefix, true);
    }
    return attempt;
  });
  expect(result.code, result.stderr).toBe(0);
  return { tarball, prefix, log };
}

/** Environment for an installed bin: this test's Node first on PATH (the bins' `#!/usr/bin/env node`), no
 * inherited worker/orchestrator settings or npm script variables, HOME in the test's folder. */
export function installedBinEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("POOL_MANAGERD_") && !k.startsWith("ORCHESTRATORD_") && !k.startsWith("LLORCH_") && !k.startsWith("npm_")) env[k] = v;
  }
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, HOME: home, ...extra };
}

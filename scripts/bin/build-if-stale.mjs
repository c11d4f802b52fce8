// Build-on-first-use for the commands a clone offers right after `npm install` (npm start, npx llama-orch,
// npm run make-model): build when an output is missing or older than its sources, and say so on stderr.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Newest mtime of the files under path that are not tests (a few thousand stats: milliseconds). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".") || /\.test\.tsx?$/.test(entry.name)) continue;
    latest = Math.max(latest, newest(join(path, entry.name)));
  }
  return latest;
}

/**
 * Runs `npm run --silent <script>` in root when one of outputs is missing, or when a file under sources
 * (files or folders, relative to root) changed since the last build this helper ran. tsc -b rewrites only
 * what changed, so the outputs' own mtimes cannot tell; a stamp (dist/.build-stamps/<script>) carries the
 * time that build started. Exits the process with the build's status on failure.
 */
export function buildIfStale({ root, name, script, outputs, sources }) {
  const stamp = join(root, "dist/.build-stamps", script);
  const missing = outputs.some((o) => !existsSync(join(root, o)));
  const builtAt = missing || !existsSync(stamp) ? 0 : statSync(stamp).mtimeMs;
  if (builtAt > 0 && builtAt >= Math.max(...sources.map((s) => newest(join(root, s))))) return;
  process.stderr.write(`${name}: ${missing ? "building (first run)" : "rebuilding (sources changed)"}: npm run ${script}…\n`);
  const started = new Date();
  const build = spawnSync("npm", ["run", "--silent", script], { cwd: root, stdio: ["ignore", process.stderr, "inherit"] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  mkdirSync(join(root, "dist/.build-stamps"), { recursive: true });
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
}

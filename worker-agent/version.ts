import { readFileSync } from "node:fs";

/** The package version: the repository's package.json (two levels above dist/worker-agent, or above worker-agent/dist
 * in a checkout) or the installed llama-orch-worker package's own (one level above its dist/). */
export function workerVersion(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (typeof pkg === "object" && pkg !== null && "name" in pkg && (pkg.name === "llama-orch" || pkg.name === "llama-orch-worker") && "version" in pkg && typeof pkg.version === "string") {
        return pkg.version;
      }
    } catch {
      // try the next location
    }
  }
  return "0.0.0";
}

import { readFileSync } from "node:fs";

/** The package version (package.json two levels above dist/worker-agent or worker-agent/). */
export function workerVersion(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (typeof pkg === "object" && pkg !== null && "name" in pkg && pkg.name === "llama-orch" && "version" in pkg && typeof pkg.version === "string") {
        return pkg.version;
      }
    } catch {
      // try the next location
    }
  }
  return "0.0.0";
}

import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WorkerConfig } from "../../src-shared/config/worker-config.js";

/** Where the API token came from, for the startup log line. */
export type TokenSource = { kind: "configured" } | { kind: "generated"; path: string; created: boolean };

export type TokenDecision = { ok: true; token: string; source: TokenSource; warnings: string[] } | { ok: false; error: string };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/** Spec §9.5: only these names count as loopback (not all of 127/8). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase());
}

export function bindHost(bindAddr: string): string {
  return bindAddr.slice(0, bindAddr.lastIndexOf(":"));
}

export const GENERATED_TOKEN_FILE = "worker-token";

/**
 * The token rules (docs/WORKER.md "Authentication"):
 * - a configured LLORCH_API_TOKEN is always used (shorter than 32 characters only warns);
 * - with ORCHESTRATORD_URL set one must be configured: the orchestrator and the worker share it;
 * - a non-loopback bind without one is refused (never a generated token off-host);
 * - standalone on loopback, a token is generated once into <data_dir>/worker-token (mode 0600).
 */
export async function decideApiToken(config: WorkerConfig): Promise<TokenDecision> {
  const warnings: string[] = [];
  if (config.api_token !== undefined) {
    if (config.api_token.length < 32) warnings.push("LLORCH_API_TOKEN is shorter than 32 characters; use e.g. `openssl rand -hex 32`");
    return { ok: true, token: config.api_token, source: { kind: "configured" }, warnings };
  }
  if (config.orchestrator_url !== undefined) {
    return { ok: false, error: "LLORCH_API_TOKEN is required when ORCHESTRATORD_URL is set (the orchestrator and its workers share one token)" };
  }
  const host = bindHost(config.bind_addr);
  if (!isLoopbackHost(host)) {
    return { ok: false, error: `refusing to bind non-loopback address ${config.bind_addr} without LLORCH_API_TOKEN set` };
  }
  const path = join(config.data_dir, GENERATED_TOKEN_FILE);
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing.length >= 32) return { ok: true, token: existing, source: { kind: "generated", path, created: false }, warnings };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return { ok: false, error: `cannot read ${path}: ${(error as Error).message}` };
  }
  const token = randomBytes(32).toString("hex");
  await mkdir(config.data_dir, { recursive: true, mode: 0o700 });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { ok: true, token, source: { kind: "generated", path, created: true }, warnings };
}

import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WorkerConfig } from "../../src-shared/config/worker-config.js";
import { joinedNodeKey, readNodeKey } from "../registration/join-exchange.js";
import type { NodeTls } from "../tls/node-tls.js";

/** Where the API token came from, for the startup log line. */
export type TokenSource = { kind: "configured" } | { kind: "generated"; path: string; created: boolean } | { kind: "joined"; path: string; created: boolean };

export type TokenDecision = { ok: true; token: string; source: TokenSource; warnings: string[]; tls?: NodeTls | undefined } | { ok: false; error: string };

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
export async function decideApiToken(config: WorkerConfig, opts: { join?: boolean; tls?: NodeTls | undefined } = {}): Promise<TokenDecision> {
  const warnings: string[] = [];
  if (config.api_token !== undefined) {
    if (config.api_token.length < 32) warnings.push("LLORCH_API_TOKEN is shorter than 32 characters; use e.g. `openssl rand -hex 32`");
    if (config.join_token !== undefined) warnings.push("LLORCH_JOIN_TOKEN is ignored: LLORCH_API_TOKEN is set");
    return { ok: true, token: config.api_token, source: { kind: "configured" }, warnings };
  }
  if (config.orchestrator_url !== undefined) {
    // A node key from an earlier join wins over the (spent) join token; a join token is spent once.
    const stored = await readNodeKey(config.data_dir);
    if (!stored.ok) return stored;
    if (stored.key !== undefined) return { ok: true, token: stored.key, source: { kind: "joined", path: stored.path, created: false }, warnings };
    if (config.join_token !== undefined) {
      if (opts.join === false) return { ok: false, error: "not joined yet: LLORCH_JOIN_TOKEN is exchanged for a node key at the first `start`" };
      const joined = await joinedNodeKey(config.orchestrator_url, config.join_token, config.node_id, config.data_dir, opts.tls);
      if (!joined.ok) return joined;
      // A join over TLS brings the node's certificate: the agent serves HTTPS with it from now on.
      const tls = opts.tls !== undefined ? { caPem: opts.tls.caPem, server: joined.server } : undefined;
      return { ok: true, token: joined.key, source: { kind: "joined", path: joined.path, created: true }, warnings, tls };
    }
    return { ok: false, error: "LLORCH_API_TOKEN is required when ORCHESTRATORD_URL is set (the orchestrator and its workers share one token), or LLORCH_JOIN_TOKEN to join with the node's own key" };
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
